using System.Numerics;
using CuRnn.Managed;

namespace CuRnn.Engines;

/// <summary>
/// The recurrent weights of every layer and direction packed once per weight version into the GEMM's panel layout:
/// <c>W_hh</c>ᵀ for the forward step product, <c>W_hh</c> for the backward one. A call first asks whether the parameters
/// changed since the last packing (a bytewise compare with a snapshot, or the announced version; see
/// <see cref="ParameterSync"/>) and repacks only when they did.
/// The input products (all steps at once in dynamic mode, each step's in static mode) take <c>W_ih</c>ᵀ packed too,
/// packed on first request after each weight version.
/// </summary>
internal sealed class PackedRecurrentWeights<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterLayout _layout;
    private readonly PackedMatrix<T>[,] _transposed, _plain;
    private readonly PackedMatrix<T>?[,] _input;
    private readonly bool[,] _inputValid;
    private readonly PreparedParameters<T> _prepared;

    public PackedRecurrentWeights(RnnOptions o, ParameterLayout layout, PreparedParameters<T> prepared)
    {
        _layout = layout;
        int g = o.Cell.GateCount() * o.HiddenSize, hout = o.OutputSize;
        Sizes.Elements(nameof(o.HiddenSize), $"the packed recurrent weights (W_hh [{g}, {hout}] in the GEMM's panels)", PackedMatrix<T>.ElementsFor(hout, g));
        _transposed = new PackedMatrix<T>[o.NumLayers, o.Directions];
        _plain = new PackedMatrix<T>[o.NumLayers, o.Directions];
        _input = new PackedMatrix<T>?[o.NumLayers, o.Directions];
        _inputValid = new bool[o.NumLayers, o.Directions];
        for (int l = 0; l < o.NumLayers; l++)
            for (int d = 0; d < o.Directions; d++)
            {
                _transposed[l, d] = new PackedMatrix<T>(hout, g);
                _plain[l, d] = new PackedMatrix<T>(g, hout);
            }
        _prepared = prepared;
    }

    /// <summary>Repacks when <paramref name="parameters"/> differ from the last packed version.</summary>
    public void Refresh(ReadOnlySpan<T> parameters)
    {
        if (_prepared.IsCurrent()) return;
        for (int l = 0; l < _transposed.GetLength(0); l++)
            for (int d = 0; d < _transposed.GetLength(1); d++)
            {
                var info = _layout.Find(l, d, RnnParameterKind.RecurrentWeight)!;
                var whh = parameters.Slice(info.Offset, info.Length);
                _transposed[l, d].Pack(Transpose.Yes, whh, info.Columns);
                _plain[l, d].Pack(Transpose.No, whh, info.Columns);
            }
        _prepared.MarkPrepared();
        Array.Clear(_inputValid);
    }

    /// <summary><c>W_hh</c>ᵀ [Hout, G*H] of a layer and direction.</summary>
    public PackedMatrix<T> Transposed(int layer, int direction) => _transposed[layer, direction];

    /// <summary><c>W_ih</c>ᵀ [in, G*H] of a layer and direction, packed from the version last passed to <see cref="Refresh"/>.</summary>
    public PackedMatrix<T> InputTransposed(int layer, int direction)
    {
        var info = _layout.Find(layer, direction, RnnParameterKind.InputWeight)!;
        if (_input[layer, direction] is null)
            Sizes.Elements(layer == 0 ? nameof(RnnOptions.InputSize) : nameof(RnnOptions.HiddenSize),
                $"the packed input weights (W_ih [{info.Rows}, {info.Columns}] in the GEMM's panels)", PackedMatrix<T>.ElementsFor(info.Columns, info.Rows));
        var packed = _input[layer, direction] ??= new PackedMatrix<T>(info.Columns, info.Rows);
        if (!_inputValid[layer, direction])
        {
            packed.Pack(Transpose.Yes, _prepared.Parameters.AsSpan(info.Offset, info.Length), info.Columns);
            _inputValid[layer, direction] = true;
        }
        return packed;
    }

    /// <summary><c>W_hh</c> [G*H, Hout] of a layer and direction.</summary>
    public PackedMatrix<T> Plain(int layer, int direction) => _plain[layer, direction];
}
