using System.Security.Cryptography;
using System.Text;
using CivicGrid.Kernel.PersonalData;
using Microsoft.Extensions.Options;

namespace CivicGrid.Kernel.Tests.PersonalData;

public class PersonalDataProtectorTests
{
    private static readonly string KeyA = PersonalDataProtector.GenerateKey();
    private static readonly string KeyB = PersonalDataProtector.GenerateKey();

    private static PersonalDataProtector Create(string? key = null, int keyId = 1, Dictionary<int, string>? retired = null) =>
        new(new PersonalDataOptions { Key = key ?? KeyA, KeyId = keyId, RetiredKeys = retired ?? [] });

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("11010519491231002X")]
    [InlineData("张三丰")]
    [InlineData("浙江省杭州市西湖区文三路 90 号 东部软件园 1 号楼")]
    [InlineData("𠇔 emoji 👨‍👩‍👧 mixed")]
    public void Decrypt_EncryptedValue_RoundTrips(string plaintext)
    {
        using var protector = Create();
        Assert.Equal(plaintext, protector.Decrypt(protector.Encrypt(plaintext)));
    }

    [Fact]
    public void Decrypt_LongValueBeyondStackBuffer_RoundTrips()
    {
        using var protector = Create();
        string plaintext = string.Concat(Enumerable.Repeat("网格员走访记录;", 500));
        Assert.Equal(plaintext, protector.Decrypt(protector.Encrypt(plaintext)));
    }

    [Fact]
    public void Encrypt_Layout_HasVersionKeyIdNonceTagAndCiphertext()
    {
        using var protector = Create(keyId: 7);
        const string plaintext = "张三丰";
        byte[] blob = protector.Encrypt(plaintext);

        Assert.Equal(1 + 1 + 12 + 16 + Encoding.UTF8.GetByteCount(plaintext), blob.Length);
        Assert.Equal(PersonalDataProtector.FormatVersion, blob[0]);
        Assert.Equal(7, blob[1]);
        Assert.Equal(7, protector.CurrentKeyId);
        // The plaintext bytes must not appear anywhere in the blob.
        Assert.Equal(-1, blob.AsSpan().IndexOf(Encoding.UTF8.GetBytes(plaintext)));
    }

    [Fact]
    public void Encrypt_SameValueTwice_ProducesDifferentCiphertexts()
    {
        using var protector = Create();
        byte[] first = protector.Encrypt("11010519491231002X");
        byte[] second = protector.Encrypt("11010519491231002X");

        Assert.NotEqual(first, second);
        Assert.NotEqual(first.AsSpan(2, 12).ToArray(), second.AsSpan(2, 12).ToArray());
    }

    [Fact]
    public void Decrypt_AnyByteTampered_ThrowsCryptographicException()
    {
        using var protector = Create();
        byte[] blob = protector.Encrypt("浙江省杭州市西湖区");
        for (int i = 0; i < blob.Length; i++)
        {
            byte[] tampered = (byte[])blob.Clone();
            tampered[i] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => protector.Decrypt(tampered));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(29)]
    public void Decrypt_Truncated_ThrowsCryptographicException(int length)
    {
        using var protector = Create();
        byte[] blob = protector.Encrypt("abc");
        Assert.ThrowsAny<CryptographicException>(() => protector.Decrypt(blob[..length]));
    }

    [Fact]
    public void Decrypt_TruncatedCiphertext_ThrowsCryptographicException()
    {
        using var protector = Create();
        byte[] blob = protector.Encrypt("abcdef");
        Assert.ThrowsAny<CryptographicException>(() => protector.Decrypt(blob[..^1]));
    }

    [Fact]
    public void Decrypt_OtherKeyWithSameId_ThrowsCryptographicException()
    {
        using var protector = Create(KeyA);
        using var other = Create(KeyB);
        Assert.ThrowsAny<CryptographicException>(() => other.Decrypt(protector.Encrypt("张三")));
    }

    [Fact]
    public void Decrypt_AfterRotation_RetiredKeyStillDecrypts()
    {
        using var before = Create(KeyA, keyId: 1);
        byte[] old = before.Encrypt("李四 13812345678");

        using var after = Create(KeyB, keyId: 2, retired: new() { [1] = KeyA });
        Assert.Equal("李四 13812345678", after.Decrypt(old));

        byte[] fresh = after.Encrypt("王五");
        Assert.Equal(2, fresh[1]);
        Assert.Equal("王五", after.Decrypt(fresh));
        // Data written with the new key cannot be read by an instance that only knows the old one.
        Assert.ThrowsAny<CryptographicException>(() => before.Decrypt(fresh));
    }

    [Fact]
    public void Decrypt_UnknownKeyId_ThrowsWithKeyId()
    {
        using var before = Create(KeyA, keyId: 1);
        using var after = Create(KeyB, keyId: 2);
        var exception = Assert.ThrowsAny<CryptographicException>(() => after.Decrypt(before.Encrypt("x")));
        Assert.Contains("id 1", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BlindIndex_EqualInput_IsEqualAcrossInstances()
    {
        using var first = Create();
        using var second = Create();
        Assert.Equal(first.BlindIndex("id", "11010519491231002X"), second.BlindIndex("id", "11010519491231002X"));
    }

    [Fact]
    public void BlindIndex_Format_Is22Base64UrlCharacters()
    {
        using var protector = Create();
        for (int i = 0; i < 200; i++)
        {
            string index = protector.BlindIndex("phone", "138" + i.ToString("D8"));
            Assert.Equal(22, index.Length);
            Assert.Matches("^[A-Za-z0-9_-]{22}$", index);
        }
    }

    [Fact]
    public void BlindIndex_DifferentKindOrValue_Differs()
    {
        using var protector = Create();
        string id = protector.BlindIndex("id", "13812345678");
        Assert.NotEqual(id, protector.BlindIndex("phone", "13812345678"));
        Assert.NotEqual(id, protector.BlindIndex("credit", "13812345678"));
        Assert.NotEqual(id, protector.BlindIndex("id", "13812345679"));
    }

    [Fact]
    public void BlindIndex_DifferentMasterKey_Differs()
    {
        using var first = Create(KeyA);
        using var second = Create(KeyB);
        Assert.NotEqual(first.BlindIndex("id", "11010519491231002X"), second.BlindIndex("id", "11010519491231002X"));
    }

    [Fact]
    public void BlindIndex_AfterRotation_UsesCurrentKeyOnly()
    {
        using var rotated = Create(KeyB, keyId: 2, retired: new() { [1] = KeyA });
        using var newOnly = Create(KeyB, keyId: 2);
        using var oldOnly = Create(KeyA, keyId: 1);
        Assert.Equal(newOnly.BlindIndex("id", "x"), rotated.BlindIndex("id", "x"));
        Assert.NotEqual(oldOnly.BlindIndex("id", "x"), rotated.BlindIndex("id", "x"));
    }

    [Fact]
    public void BlindIndex_LongValue_Works()
    {
        using var protector = Create();
        string value = new('中', 2000);
        Assert.Equal(protector.BlindIndex("address", value), protector.BlindIndex("address", value));
    }

    [Fact]
    public void BlindIndex_InvalidKind_Throws()
    {
        using var protector = Create();
        Assert.Throws<ArgumentException>(() => protector.BlindIndex("", "x"));
        Assert.Throws<ArgumentException>(() => protector.BlindIndex("a:b", "x"));
    }

    [Fact]
    public void BlindIndex_DifferentSplitOfSameText_DoesNotCollide()
    {
        // Without the ':' separator "ab"+"c" and "a"+"bc" would hash the same bytes.
        using var protector = Create();
        Assert.NotEqual(protector.BlindIndex("ab", "c"), protector.BlindIndex("a", "bc"));
    }

    [Fact]
    public void BlindIndex_Value_MatchesIndependentHkdfHmacComputation()
    {
        // Pins the stored format: a change of HKDF label, separator or truncation would orphan every
        // index already in the database.
        byte[] indexKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, Convert.FromBase64String(KeyA), 32, [], "CivicGrid.PersonalData.BlindIndex.v1"u8.ToArray());
        byte[] mac = HMACSHA256.HashData(indexKey, Encoding.UTF8.GetBytes("id:11010519491231002X"));
        string expected = Convert.ToBase64String(mac, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        using var protector = Create(KeyA);
        Assert.Equal(expected, protector.BlindIndex("id", "11010519491231002X"));
    }

    [Fact]
    public void Encrypt_Blob_DecryptsWithIndependentAesGcm()
    {
        // Pins the stored format (HKDF label, layout, header as associated data) independently of Decrypt.
        byte[] key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Convert.FromBase64String(KeyA), 32, [], "CivicGrid.PersonalData.Encryption.v1"u8.ToArray());
        using var protector = Create(KeyA);
        byte[] blob = protector.Encrypt("张三丰");

        byte[] plaintext = new byte[blob.Length - 30];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(blob.AsSpan(2, 12), blob.AsSpan(30), blob.AsSpan(14, 16), plaintext, blob.AsSpan(0, 2));
        Assert.Equal("张三丰", Encoding.UTF8.GetString(plaintext));
    }

    [Fact]
    public void Encrypt_ManyCalls_NeverReusesNonce()
    {
        // Spans several refills of the batched nonce buffer.
        using var protector = Create();
        var nonces = new HashSet<string>();
        for (int i = 0; i < 5_000; i++)
        {
            Assert.True(nonces.Add(Convert.ToHexString(protector.Encrypt("x").AsSpan(2, 12))));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Constructor_MissingKey_ThrowsClearMessage(string? key)
    {
        var exception = Assert.Throws<InvalidOperationException>(
            () => new PersonalDataProtector(new PersonalDataOptions { Key = key }));
        Assert.Contains("CivicGrid:PersonalData:Key", exception.Message, StringComparison.Ordinal);
        Assert.Contains("not configured", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Constructor_KeyNotThirtyTwoBytes_ThrowsClearMessageWithoutKey(int length)
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(length));
        var exception = Assert.Throws<InvalidOperationException>(
            () => new PersonalDataProtector(new PersonalDataOptions { Key = key }));
        Assert.Contains("CivicGrid:PersonalData:Key", exception.Message, StringComparison.Ordinal);
        Assert.Contains("32 bytes", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_KeyNotBase64_ThrowsClearMessage()
    {
        var exception = Assert.Throws<InvalidOperationException>(
            () => new PersonalDataProtector(new PersonalDataOptions { Key = "this is not base64 at all!!" }));
        Assert.Contains("base64", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("this is not", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidRetiredKey_NamesSetting()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => Create(KeyB, keyId: 2, retired: new() { [1] = "AAAA" }));
        Assert.Contains("CivicGrid:PersonalData:RetiredKeys:1", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(256)]
    public void Constructor_KeyIdOutOfRange_Throws(int keyId)
    {
        Assert.Throws<InvalidOperationException>(() => Create(keyId: keyId));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(300)]
    public void Constructor_RetiredKeyIdInvalidOrEqualToCurrent_Throws(int retiredId)
    {
        Assert.Throws<InvalidOperationException>(() => Create(KeyB, keyId: 2, retired: new() { [retiredId] = KeyA }));
    }

    [Fact]
    public void Constructor_FromIOptions_UsesBoundValues()
    {
        using var fromOptions = new PersonalDataProtector(Options.Create(new PersonalDataOptions { Key = KeyA, KeyId = 3 }));
        using var direct = Create(KeyA, keyId: 3);
        Assert.Equal(3, fromOptions.CurrentKeyId);
        Assert.Equal("值", direct.Decrypt(fromOptions.Encrypt("值")));
        Assert.Equal(direct.BlindIndex("id", "v"), fromOptions.BlindIndex("id", "v"));
    }

    [Fact]
    public void GenerateKey_Called_ReturnsDistinctBase64Of32Bytes()
    {
        string first = PersonalDataProtector.GenerateKey();
        string second = PersonalDataProtector.GenerateKey();
        Assert.Equal(32, Convert.FromBase64String(first).Length);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void EncryptDecrypt_ConcurrentCalls_AllRoundTrip()
    {
        using var protector = Create();
        Parallel.For(0, 20_000, i =>
        {
            string value = CitizenId.Create("330109", new DateOnly(1990, 1, 1).AddDays(i % 10_000), i % 1000);
            Assert.Equal(value, protector.Decrypt(protector.Encrypt(value)));
        });
    }

    [Fact]
    public void Encrypt_AfterDispose_ThrowsObjectDisposedException()
    {
        var protector = Create();
        protector.Dispose();
        protector.Dispose();
        Assert.Throws<ObjectDisposedException>(() => protector.Encrypt("x"));
        Assert.Throws<ObjectDisposedException>(() => protector.Decrypt(new byte[30]));
        Assert.Throws<ObjectDisposedException>(() => protector.BlindIndex("id", "x"));
    }
}
