using System.Numerics;
namespace CuRnn.Managed;

/// <summary>
/// Everything one direction of one layer reads and writes in a forward pass over packed rows.
/// Spans that a configuration does not use stay empty.
/// </summary>
internal ref struct DirectionForward<T> where T : unmanaged, INumber<T>
{
    /// <summary>The recurrence.</summary>
    public CellFunction Cell;
    /// <summary>Features of each input row.</summary>
    public int InputSize;
    /// <summary>Hidden size H.</summary>
    public int HiddenSize;
    /// <summary>Output size: the projection size P when there is one, else H.</summary>
    public int OutputSize;
    /// <summary>Run the steps last to first.</summary>
    public bool Reverse;
    /// <summary>Project each step's inputs inside the step loop (static mode; dynamic mode where <see cref="RecurrentPass.PerStepInputProjectionPays"/>) instead of all rows in one GEMM first.</summary>
    public bool PerStepInputProjection;
    /// <summary>Threads the pass may use, the calling thread included (0 or 1: the calling thread only). Any count
    /// gives the same bits.</summary>
    public int Threads;

    /// <summary>Packed input rows [N, InputSize].</summary>
    public ReadOnlySpan<T> X;
    /// <summary><c>W_ih</c> [G*H, InputSize].</summary>
    public ReadOnlySpan<T> Wih;
    /// <summary><c>W_hh</c> [G*H, OutputSize].</summary>
    public ReadOnlySpan<T> Whh;
    /// <summary><c>W_hh</c>ᵀ packed for the step product (null: pack on the fly).</summary>
    public PackedMatrix<T>? WhhPackedT;
    /// <summary><c>W_ih</c>ᵀ packed for the input products (null: pack on the fly).</summary>
    public PackedMatrix<T>? WihPackedT;
    /// <summary><c>b_ih</c> [G*H], empty without bias.</summary>
    public ReadOnlySpan<T> Bih;
    /// <summary><c>b_hh</c> [G*H], empty without bias.</summary>
    public ReadOnlySpan<T> Bhh;
    /// <summary><c>W_hr</c> [P, H], empty without projection.</summary>
    public ReadOnlySpan<T> Whr;

    /// <summary>State h [B, OutputSize]: initial state in, final state out.</summary>
    public Span<T> H;
    /// <summary>LSTM cell state c [B, H]: initial in, final out.</summary>
    public Span<T> C;

    /// <summary>Output rows [N, YStride]; this direction writes columns YColumn .. YColumn + OutputSize.</summary>
    public Span<T> Y;
    /// <summary>Row stride of <see cref="Y"/>.</summary>
    public int YStride;
    /// <summary>First column of <see cref="Y"/> this direction writes.</summary>
    public int YColumn;

    /// <summary>Gate rows [N, G*H]; after the pass they hold the activated gates.</summary>
    public Span<T> Gates;
    /// <summary>Scratch of <see cref="RecurrentPass.ForwardWorkLength"/> elements.</summary>
    public Span<T> Work;

    /// <summary>Training only: h entering each row's step [N, OutputSize]. Empty for inference.</summary>
    public Span<T> HPrev;
    /// <summary>Training, LSTM: c entering each row's step [N, H].</summary>
    public Span<T> CPrev;
    /// <summary>Training, LSTM: c leaving each row's step [N, H].</summary>
    public Span<T> CNext;
    /// <summary>Training, LSTM with projection: h before projection [N, H].</summary>
    public Span<T> HRaw;
    /// <summary>Training, GRU: <c>W_hn h + b_hn</c> of each row [N, H].</summary>
    public Span<T> GruHn;

    // Set while a worker projects the inputs alongside the step loop: the count of steps projected so far.
    internal unsafe int* ProjectedSteps;
}

/// <summary>
/// Everything one direction of one layer reads and writes in a backward pass; the saved spans are
/// those its training forward filled. <see cref="Gates"/> is overwritten with the gate gradients.
/// </summary>
internal ref struct DirectionBackward<T> where T : unmanaged, INumber<T>
{
    /// <summary>The recurrence.</summary>
    public CellFunction Cell;
    /// <summary>Features of each input row.</summary>
    public int InputSize;
    /// <summary>Hidden size H.</summary>
    public int HiddenSize;
    /// <summary>Output size (P or H).</summary>
    public int OutputSize;
    /// <summary>The forward pass ran the steps last to first.</summary>
    public bool Reverse;
    /// <summary>Whether the layer has biases (their gradients are then written).</summary>
    public bool HasBias;
    /// <summary>Threads the pass may use, the calling thread included (0 or 1: the calling thread only). Any count
    /// gives the same bits.</summary>
    public int Threads;

    /// <summary>Packed input rows [N, InputSize] the forward saw.</summary>
    public ReadOnlySpan<T> X;
    /// <summary><c>W_ih</c> [G*H, InputSize].</summary>
    public ReadOnlySpan<T> Wih;
    /// <summary><c>W_hh</c> [G*H, OutputSize].</summary>
    public ReadOnlySpan<T> Whh;
    /// <summary><c>W_hh</c> packed for the step product dG·W_hh (null: pack on the fly).</summary>
    public PackedMatrix<T>? WhhPacked;
    /// <summary><c>W_hr</c> [P, H], empty without projection.</summary>
    public ReadOnlySpan<T> Whr;

    /// <summary>Gradient of the loss with respect to the layer output rows [N, DYStride].</summary>
    public ReadOnlySpan<T> DY;
    /// <summary>Row stride of <see cref="DY"/>.</summary>
    public int DYStride;
    /// <summary>First column of <see cref="DY"/> that belongs to this direction.</summary>
    public int DYColumn;

    /// <summary>[B, OutputSize]: gradient for the final h in, for the initial h out.</summary>
    public Span<T> DH;
    /// <summary>[B, H], LSTM: gradient for the final c in, for the initial c out.</summary>
    public Span<T> DC;

    /// <summary>Saved activated gates [N, G*H]; overwritten with the pre-activation gradients.</summary>
    public Span<T> Gates;
    /// <summary>Saved h entering each step [N, OutputSize].</summary>
    public ReadOnlySpan<T> HPrev;
    /// <summary>Saved c entering each step [N, H] (LSTM).</summary>
    public ReadOnlySpan<T> CPrev;
    /// <summary>Saved c leaving each step [N, H] (LSTM).</summary>
    public ReadOnlySpan<T> CNext;
    /// <summary>Saved h before projection [N, H] (LSTM with projection).</summary>
    public ReadOnlySpan<T> HRaw;
    /// <summary>Saved <c>W_hn h + b_hn</c> [N, H] (GRU).</summary>
    public ReadOnlySpan<T> GruHn;

    /// <summary>Scratch of <see cref="RecurrentPass.BackwardWorkLength"/> elements.</summary>
    public Span<T> Work;
    /// <summary>Row-sized scratch: [N, G*H] for GRU (recurrent gate gradients), else empty.</summary>
    public Span<T> DGh;
    /// <summary>Row-sized scratch [N, P] for the projection's output gradients, else empty.</summary>
    public Span<T> DHOut;

    /// <summary>Gradient for the input rows [N, InputSize], added into; empty to skip.</summary>
    public Span<T> DX;
    /// <summary>Gradient for <c>W_ih</c>, added into; empty to skip all weight gradients.</summary>
    public Span<T> DWih;
    /// <summary>Gradient for <c>W_hh</c>, added into.</summary>
    public Span<T> DWhh;
    /// <summary>Gradient for <c>b_ih</c>, added into.</summary>
    public Span<T> DBih;
    /// <summary>Gradient for <c>b_hh</c>, added into.</summary>
    public Span<T> DBhh;
    /// <summary>Gradient for <c>W_hr</c>, added into.</summary>
    public Span<T> DWhr;
}
