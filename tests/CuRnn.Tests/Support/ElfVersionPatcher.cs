using System.Buffers.Binary;
using System.Text;

namespace CuRnn.Tests.Support;

/// <summary>
/// Marks chosen symbol-version requirements of an ELF64 shared library as weak (VER_FLG_WEAK), so the
/// loader accepts the library where the system's libstdc++ lacks that version. Used on the test output's
/// copy of TorchSharp's <c>libLibTorchSharp.so</c>: it is built with GCC 13 and asks for GLIBCXX_3.4.32
/// only through <c>std::ios_base_library_init</c>, a symbol that carries no relocation, so nothing it
/// calls is missing on Debian 12 (GLIBCXX_3.4.30).
/// </summary>
internal static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Sets the weak flag on each requirement named in <paramref name="versions"/>; returns how many changed.</summary>
    public static int MarkWeak(string path, IReadOnlySet<string> versions)
    {
        byte[] elf = File.ReadAllBytes(path);
        var span = elf.AsSpan();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException($"{path} is not a little-endian ELF64 file.");
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);

        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            var sh = span[(int)((long)shoff + (long)i * shentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]);   // sh_info: number of Verneed entries
            var strSh = span[(int)((long)shoff + (long)link * shentsize)..];
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]);

            long need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(need + 2)..]);
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(need + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    // Vernaux: vna_hash(4) vna_flags(2) vna_other(2) vna_name(4) vna_next(4)
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(aux + 4)..]);
                    uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(aux + 8)..]);
                    string name = ReadString(span, strOffset + nameOffset);
                    if (versions.Contains(name) && (flags & VerFlgWeak) == 0)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(span[(int)(aux + 4)..], (ushort)(flags | VerFlgWeak));
                        changed++;
                    }
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(aux + 12)..]);
                }
                need += BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(need + 12)..]);
            }
        }
        if (changed > 0)
        {
            // Write a new file and move it over, so a hard-linked package cache is never modified.
            string temp = path + ".patching";
            File.WriteAllBytes(temp, elf);
            File.Move(temp, path, overwrite: true);
        }
        return changed;
    }

    private static string ReadString(ReadOnlySpan<byte> span, long offset)
    {
        var tail = span[(int)offset..];
        int end = tail.IndexOf((byte)0);
        return Encoding.ASCII.GetString(tail[..end]);
    }
}
