using System.Text;

namespace CuRnn.Tests.Support;

/// <summary>
/// Writes the few ONNX protobuf messages a one-node model needs (ModelProto, GraphProto, NodeProto,
/// AttributeProto, TensorProto, ValueInfoProto), so ONNX Runtime can run its LSTM / GRU / RNN operator on
/// weights we hand it. Field numbers are those of onnx.proto.
/// </summary>
internal sealed class OnnxModelWriter
{
    private readonly List<byte[]> _nodes = [], _initializers = [], _inputs = [], _outputs = [];

    public void Node(string opType, string[] inputs, string[] outputs, params byte[][] attributes)
    {
        var m = new Message();
        foreach (var i in inputs) m.String(1, i);
        foreach (var o in outputs) m.String(2, o);
        m.String(3, opType + "_node");
        m.String(4, opType);
        foreach (var a in attributes) m.Bytes(5, a);
        _nodes.Add(m.ToArray());
    }

    public static byte[] IntAttribute(string name, long value) => new Message().String(1, name).Varint(20, 2).Varint(3, (ulong)value).ToArray();
    public static byte[] StringAttribute(string name, string value) => new Message().String(1, name).Varint(20, 3).Bytes(4, Encoding.UTF8.GetBytes(value)).ToArray();
    public static byte[] StringsAttribute(string name, params string[] values)
    {
        var m = new Message().String(1, name).Varint(20, 8);
        foreach (var v in values) m.Bytes(9, Encoding.UTF8.GetBytes(v));
        return m.ToArray();
    }

    public void Initializer(string name, long[] dims, float[] data)
    {
        var m = new Message();
        foreach (var d in dims) m.Varint(1, (ulong)d);
        m.Varint(2, 1);                       // FLOAT
        m.String(8, name);
        var raw = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
        m.Bytes(9, raw);
        _initializers.Add(m.ToArray());
    }

    /// <summary>elemType: 1 float, 6 int32.</summary>
    public void Input(string name, int elemType, params long[] dims) => _inputs.Add(ValueInfo(name, elemType, dims));
    public void Output(string name, int elemType, params long[] dims) => _outputs.Add(ValueInfo(name, elemType, dims));

    private static byte[] ValueInfo(string name, int elemType, long[] dims)
    {
        var shape = new Message();
        foreach (var d in dims) shape.Bytes(1, new Message().Varint(1, (ulong)d).ToArray());
        var tensor = new Message().Varint(1, (ulong)elemType).Bytes(2, shape.ToArray());
        var type = new Message().Bytes(1, tensor.ToArray());
        return new Message().String(1, name).Bytes(2, type.ToArray()).ToArray();
    }

    public byte[] ToModel(int opset)
    {
        var graph = new Message();
        foreach (var n in _nodes) graph.Bytes(1, n);
        graph.String(2, "curnn_reference");
        foreach (var i in _initializers) graph.Bytes(5, i);
        foreach (var i in _inputs) graph.Bytes(11, i);
        foreach (var o in _outputs) graph.Bytes(12, o);
        var opsetId = new Message().String(1, "").Varint(2, (ulong)opset);
        return new Message().Varint(1, 8).Bytes(7, graph.ToArray()).Bytes(8, opsetId.ToArray()).ToArray();
    }

    /// <summary>Protobuf wire format: varints (type 0) and length-delimited fields (type 2).</summary>
    private sealed class Message
    {
        private readonly MemoryStream _s = new();

        public Message Varint(int field, ulong value) { Raw((ulong)(field << 3)); Raw(value); return this; }
        public Message Bytes(int field, byte[] value) { Raw((ulong)(field << 3 | 2)); Raw((ulong)value.Length); _s.Write(value); return this; }
        public Message String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));
        public byte[] ToArray() => _s.ToArray();

        private void Raw(ulong v)
        {
            while (v >= 0x80) { _s.WriteByte((byte)(v | 0x80)); v >>= 7; }
            _s.WriteByte((byte)v);
        }
    }
}
