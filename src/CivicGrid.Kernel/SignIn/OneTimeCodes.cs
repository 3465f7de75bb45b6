using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Web;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.SignIn;

/// <summary>
/// A code sent to a phone for signing in without a staff account. Only a keyed hash of the code is stored; the phone only
/// as its blind index; the client address only as a keyed hash (enough to count requests from one source).
/// </summary>
public sealed class OneTimeCode
{
    public long Id { get; set; }
    public string Purpose { get; set; } = "";
    public string PhoneIndex { get; set; } = "";
    public string CodeHash { get; set; } = "";
    public string? SourceIndex { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public int Attempts { get; set; }
    public bool Used { get; set; }
}

/// <summary>Delivers a sign-in code to a phone. The platform's outbox implements it; the code is a secret parameter there.</summary>
public interface ICodeSender
{
    /// <summary>Queues the message for <paramref name="phone"/> (normalised mobile number); it must not log or store the code in clear.</summary>
    Task SendAsync(CodeMessage message, CancellationToken ct);
}

/// <param name="Purpose">What the code signs in to ("landlord", "reporter", "party").</param>
/// <param name="Phone">The normalised mobile number.</param>
/// <param name="Code">The six digits.</param>
/// <param name="Lifetime">How long it is valid, for the message text.</param>
public sealed record CodeMessage(string Purpose, string Phone, string Code, TimeSpan Lifetime);

/// <summary>Limits of the one-time-code sign-in (CivicGrid:SignIn:Codes).</summary>
public sealed class OneTimeCodeOptions
{
    public const string Section = "CivicGrid:SignIn:Codes";

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Wrong entries before a code is spent.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Minimum time between two codes to the same phone.</summary>
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Codes per phone per hour.</summary>
    public int PerPhonePerHour { get; set; } = 5;

    /// <summary>Codes requested from one client address per 10 minutes (any phone).</summary>
    public int PerSourcePerTenMinutes { get; set; } = 20;
}

/// <summary>The outcome of a code request: sent, refused for a field, or refused because the caller asks too often.</summary>
public sealed record CodeRequest(FieldErrors Errors, bool RateLimited, TimeSpan RetryAfter)
{
    public bool Sent => !Errors.Any;
}

/// <summary>A code checked and found right; <see cref="OneTimeCodes.ConsumeAsync"/> spends it once the sign-in completes.</summary>
public sealed record CodeTicket(long CodeId, string Purpose, string Phone, string PhoneIndex);

/// <summary>
/// One-time-code sign-in for people without staff accounts (landlords, reporters, mediation parties): six digits to the
/// phone, hashed, expiring, a few attempts, rate-limited per phone and per client address. The counts are read from the
/// database, so the limits hold across every web node.
/// </summary>
public sealed class OneTimeCodes(IDbContextFactory<KernelDbContext> factory, PersonalDataProtector protector, ICodeSender sender,
    TimeProvider time, OneTimeCodeOptions options)
{
    public OneTimeCodeOptions Options => options;

    /// <summary>Sends a new code for <paramref name="purpose"/> to the phone, unless the phone is invalid or asked too often.</summary>
    public async Task<CodeRequest> RequestAsync(string purpose, string? phoneInput, string? clientAddress, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!MobileNumber.TryNormalize(phoneInput, out var phone, out var error))
        {
            errors.Add("phone", error!);
            return new CodeRequest(errors, false, TimeSpan.Zero);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var phoneIndex = protector.BlindIndex("phone", phone);
        var source = string.IsNullOrEmpty(clientAddress) ? null : protector.BlindIndex("source", clientAddress);
        await using var db = await factory.CreateDbContextAsync(ct);

        var hourAgo = now.AddHours(-1);
        var recent = await db.OneTimeCodes.AsNoTracking().Where(c => c.PhoneIndex == phoneIndex && c.CreatedAt > hourAgo)
            .Select(c => c.CreatedAt).ToListAsync(ct);
        var retry = TimeSpan.Zero;
        if (recent.Count > 0 && recent.Max() + options.ResendAfter > now) retry = recent.Max() + options.ResendAfter - now;
        else if (recent.Count >= options.PerPhonePerHour) retry = recent.Min().AddHours(1) - now;
        if (retry > TimeSpan.Zero)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            errors.Add("phone", $"获取验证码过于频繁，请 {seconds} 秒后再试", $"too many codes for this phone: try again in {seconds} s");
            return new CodeRequest(errors, true, retry);
        }
        if (source is not null)
        {
            var since = now.AddMinutes(-10);
            var fromSource = await db.OneTimeCodes.AsNoTracking().CountAsync(c => c.SourceIndex == source && c.CreatedAt > since, ct);
            if (fromSource >= options.PerSourcePerTenMinutes)
            {
                errors.Add("phone", "本网络获取验证码过于频繁，请 10 分钟后再试", "too many codes requested from this network: try again in 10 minutes");
                return new CodeRequest(errors, true, TimeSpan.FromMinutes(10));
            }
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("000000", CultureInfo.InvariantCulture);
        // One live code per phone and purpose: a new request spends the earlier ones.
        await db.OneTimeCodes.Where(c => c.PhoneIndex == phoneIndex && c.Purpose == purpose && !c.Used)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Used, true), ct);
        db.OneTimeCodes.Add(new OneTimeCode
        {
            Purpose = purpose, PhoneIndex = phoneIndex, CodeHash = Hash(purpose, phoneIndex, code), SourceIndex = source,
            CreatedAt = now, ExpiresAt = now + options.Lifetime,
        });
        await db.SaveChangesAsync(ct);
        await sender.SendAsync(new CodeMessage(purpose, phone, code, options.Lifetime), ct);
        return new CodeRequest(errors, false, TimeSpan.Zero);
    }

    /// <summary>
    /// Checks a code without spending it (a sign-in may need a second form, e.g. a first-time registration). A wrong code
    /// counts an attempt; after <see cref="OneTimeCodeOptions.MaxAttempts"/> the code is spent. Errors name "phone" or "code".
    /// </summary>
    public async Task<(CodeTicket? Ticket, FieldErrors Errors)> CheckAsync(string purpose, string? phoneInput, string? codeInput, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!MobileNumber.TryNormalize(phoneInput, out var phone, out var error))
        {
            errors.Add("phone", error!);
            return (null, errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var phoneIndex = protector.BlindIndex("phone", phone);
        await using var db = await factory.CreateDbContextAsync(ct);
        var code = await db.OneTimeCodes.Where(c => c.PhoneIndex == phoneIndex && c.Purpose == purpose && !c.Used && c.ExpiresAt > now)
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);
        if (code is null || code.Attempts >= options.MaxAttempts)
        {
            errors.Add("code", "验证码已失效，请重新获取", "the code has expired: ask for a new one");
            return (null, errors);
        }
        var given = codeInput?.Trim() ?? "";
        if (given.Length != 6 || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(code.CodeHash),
                Encoding.ASCII.GetBytes(Hash(purpose, phoneIndex, given))))
        {
            // Counted in the database, not in memory: concurrent guesses on several nodes all count.
            await db.OneTimeCodes.Where(c => c.Id == code.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.Attempts, c => c.Attempts + 1), ct);
            var left = options.MaxAttempts - code.Attempts - 1;
            if (left > 0) errors.Add("code", $"验证码错误，还可尝试 {left} 次", $"wrong code: {left} attempts left");
            else errors.Add("code", "验证码错误次数过多，请重新获取", "too many wrong codes: ask for a new one");
            return (null, errors);
        }
        return (new CodeTicket(code.Id, purpose, phone, phoneIndex), errors);
    }

    /// <summary>Spends a checked code; false when it was spent meanwhile (a double submit), so only one sign-in wins.</summary>
    public async Task<bool> ConsumeAsync(CodeTicket ticket, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.OneTimeCodes.Where(c => c.Id == ticket.CodeId && !c.Used)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Used, true), ct) == 1;
    }

    /// <summary>Removes codes that expired more than a day ago (kept that long for the rate limits).</summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var before = time.GetUtcNow().UtcDateTime.AddDays(-1);
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.OneTimeCodes.Where(c => c.ExpiresAt < before).ExecuteDeleteAsync(ct);
    }

    // Keyed (the blind-index key), so a copy of the table does not give the codes away by trying all million of them.
    private string Hash(string purpose, string phoneIndex, string code) => protector.BlindIndex("otp", $"{purpose}/{phoneIndex}/{code}");
}

/// <summary>The hourly job that removes expired sign-in codes (idempotent: a second run finds nothing more to remove).</summary>
public sealed class SignInCodePurge(OneTimeCodes codes) : Jobs.IPlatformJob
{
    public Task RunAsync(Context.Acting job, CancellationToken ct) => codes.PurgeAsync(ct);
}
