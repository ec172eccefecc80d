using CuRnn.Managed;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>The blocked GEMM against a plain triple loop in float64, every transposition, edge and parallel sizes.</summary>
[TestFixture, Category("unit")]
public sealed class GemmTests
{
    [TestCase(1, 1, 1)]
    [TestCase(5, 7, 3)]
    [TestCase(13, 33, 300)]
    [TestCase(67, 530, 9)]
    [TestCase(128, 600, 300)]
    public void Matches_a_naive_product(int m, int n, int k)
    {
        var r = TestData.NewRandom();
        foreach (var ta in Enum.GetValues<Transpose>())
            foreach (var tb in Enum.GetValues<Transpose>())
                foreach (bool accumulate in new[] { false, true })
                {
                    int lda = (ta == Transpose.No ? k : m) + 2, ldb = (tb == Transpose.No ? n : k) + 1, ldc = n + 3;
                    var a = TestData.Uniform<float>(r, (ta == Transpose.No ? m : k) * (long)lda);
                    var b = TestData.Uniform<float>(r, (tb == Transpose.No ? k : n) * (long)ldb);
                    var c = TestData.Uniform<float>(r, (long)m * ldc);
                    var expected = Naive(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                    Gemm.Multiply<float>(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                    Assert.That(TestData.RelativeError<float>(c, expected), Is.LessThan(1e-5), $"{ta} {tb} accumulate={accumulate}");
                }
    }

    [TestCase(8, 64, 16)]
    [TestCase(32, 2048, 512)]
    [TestCase(13, 530, 300)]
    [TestCase(300, 40, 700)]
    [TestCase(201, 96, 250)]
    public void Packed_operand_matches_a_naive_product(int m, int n, int k)
    {
        var r = TestData.NewRandom();
        foreach (var tb in Enum.GetValues<Transpose>())
            foreach (bool accumulate in new[] { false, true })
            foreach (int threads in new[] { 1, 3 })
            {
                int ldb = (tb == Transpose.No ? n : k) + 1, ldc = n + 2;
                var a = TestData.Uniform<float>(r, (long)m * k);
                var b = TestData.Uniform<float>(r, (tb == Transpose.No ? k : n) * (long)ldb);
                var c = TestData.Uniform<float>(r, (long)m * ldc);
                var expected = Naive(Transpose.No, tb, m, n, k, a, k, b, ldb, c, ldc, accumulate);
                var packed = new PackedMatrix<float>(k, n);
                packed.Pack(tb, b, ldb);
                Gemm.Multiply(Transpose.No, m, a, k, packed, c, ldc, accumulate, threads);
                Assert.That(TestData.RelativeError<float>(c, expected), Is.LessThan(1e-5), $"{tb} accumulate={accumulate} threads={threads}");
            }
    }

    /// <summary>Any thread count, any split (rows of tall products, columns of others), packed or not: the same bits;
    /// and a range of columns of a packed product is the bits of those columns in the whole product.</summary>
    [TestCase(700, 300, 257)]
    [TestCase(64, 1024, 512)]
    [TestCase(9, 2048, 300)]
    public void Every_thread_count_gives_the_same_bits(int m, int n, int k)
    {
        var r = TestData.NewRandom();
        var a = TestData.Uniform<float>(r, (long)m * k);
        var b = TestData.Uniform<float>(r, (long)k * n);
        var c0 = TestData.Uniform<float>(r, (long)m * n);
        var packed = new PackedMatrix<float>(k, n);
        packed.Pack(Transpose.No, b, n);
        float[]? plainOne = null, packedOne = null;
        foreach (int threads in new[] { 1, 2, 3, 4, 8 })
        {
            var plain = (float[])c0.Clone();
            Gemm.Multiply<float>(Transpose.No, Transpose.No, m, n, k, a, k, b, n, plain, n, accumulate: true, threads);
            var withPacked = (float[])c0.Clone();
            Gemm.Multiply(Transpose.No, m, a, k, packed, withPacked, n, accumulate: true, threads);
            plainOne ??= plain;
            packedOne ??= withPacked;
            Assert.That(plain, Is.EqualTo(plainOne).AsCollection, $"plain B, {threads} threads");
            Assert.That(withPacked, Is.EqualTo(packedOne).AsCollection, $"packed B, {threads} threads");
        }
        int panel = Gemm.PanelWidth<float>();
        var columns = (float[])c0.Clone();
        for (int from = 0; from < n; from += 3 * panel) Gemm.MultiplyColumns<float>(m, a, k, packed, columns, n, from, Math.Min(from + 3 * panel, n), accumulate: true);
        Assert.That(columns, Is.EqualTo(packedOne).AsCollection, "column ranges");
    }

    // The plain triple loop in float64; columns of C past n keep their values.
    private static double[] Naive(Transpose ta, Transpose tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb, float[] c, int ldc, bool accumulate)
    {
        var expected = new double[c.Length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                if (j >= n) { expected[i * ldc + j] = c[i * ldc + j]; continue; }
                double s = accumulate ? c[i * ldc + j] : 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta == Transpose.No ? a[i * lda + p] : a[p * lda + i]) * (tb == Transpose.No ? b[p * ldb + j] : b[j * ldb + p]);
                expected[i * ldc + j] = s;
            }
        return expected;
    }
}
