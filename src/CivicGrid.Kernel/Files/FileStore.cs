using System.Security.Cryptography;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CivicGrid.Kernel.Files;

/// <summary>
/// One upload: its bytes live by content hash (<see cref="Hash"/>, the thumbnail's in <see cref="ThumbnailHash"/>), so the
/// same content is kept once however often it comes. The owner (module and id) is set when the owner's record is made; until
/// then only the uploader may fetch it. The GPS position is kept only when the uploader allowed it, and is never public.
/// </summary>
public sealed class StoredFile : IRegionScoped
{
    public Guid Id { get; set; }
    public string Hash { get; set; } = "";
    public string? ThumbnailHash { get; set; }
    public string Kind { get; set; } = "";
    public string ContentType { get; set; } = "";
    public long Size { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public string? FileName { get; set; }

    /// <summary>The owner module's policy name (e.g. "population.visit"); empty until attached.</summary>
    public string OwnerModule { get; set; } = "";
    public string? OwnerId { get; set; }
    public string RegionPath { get; set; } = "";
    public string? UploadedById { get; set; }
    public string UploadedBy { get; set; } = "";
    public DateTime UploadedAt { get; set; }
    public double? Latitude { get; set; }
    public double? Longitude { get; set; }
}

/// <summary>A piece of a blob kept in the database: at most <see cref="FilesOptions.ChunkBytes"/> per row.</summary>
public sealed class FileChunk
{
    public string Hash { get; set; } = "";
    public int Index { get; set; }
    public byte[] Data { get; set; } = [];
}

public static class FileModel
{
    public static void MapFiles(this ModelBuilder model)
    {
        model.Entity<StoredFile>(e =>
        {
            e.ToTable("stored_files");
            e.Property(x => x.Hash).HasMaxLength(64);
            e.Property(x => x.ThumbnailHash).HasMaxLength(64);
            e.Property(x => x.Kind).HasMaxLength(16);
            e.Property(x => x.ContentType).HasMaxLength(64);
            e.Property(x => x.FileName).HasMaxLength(128);
            e.Property(x => x.OwnerModule).HasMaxLength(64);
            e.Property(x => x.OwnerId).HasMaxLength(64);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.UploadedById).HasMaxLength(64);
            e.Property(x => x.UploadedBy).HasMaxLength(128);
            e.HasIndex(x => new { x.OwnerModule, x.OwnerId });
            e.HasIndex(x => x.Hash);
        });
        model.Entity<FileChunk>(e =>
        {
            e.ToTable("file_chunks");
            e.HasKey(x => new { x.Hash, x.Index });
            e.Property(x => x.Hash).HasMaxLength(64);
        });
    }
}

/// <summary>
/// Who may download a file of an owner module: a module registers one per kind of owner (<c>services.AddSingleton(new
/// FileOwnerPolicy("population.visit", ...))</c>); an owner without a policy is denied. The Kernel checks the region scope
/// before asking.
/// </summary>
public sealed record FileOwnerPolicy(string Module, Func<IServiceProvider, Acting, StoredFile, CancellationToken, Task<bool>> MayDownload);

/// <summary>The platform's file store: save an upload (checked by <see cref="FileContent"/>), attach it to its owner, read it back.</summary>
public sealed class FileStore(KernelDbContext db, IOptions<FilesOptions> options, TimeProvider time)
{
    public FilesOptions Options => options.Value;

    public static string HashOf(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Stores a checked file for <paramref name="acting"/> in its own region, with its audit line, in one save.</summary>
    public async Task<StoredFile> SaveAsync(CheckedFile file, string kind, string? fileName, bool keepLocation, Acting acting, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var hash = HashOf(file.Bytes);
        var thumbHash = file.Thumbnail is null ? null : HashOf(file.Thumbnail);
        var stored = new StoredFile
        {
            Id = Guid.CreateVersion7(), Hash = hash, ThumbnailHash = thumbHash, Kind = kind, ContentType = file.ContentType, Size = file.Bytes.Length,
            Width = file.Width, Height = file.Height, FileName = CleanName(fileName), RegionPath = acting.RequiredScope.Path,
            UploadedById = acting.UserId, UploadedBy = acting.UserName, UploadedAt = now,
            Latitude = keepLocation ? file.Latitude : null, Longitude = keepLocation ? file.Longitude : null,
        };
        for (var attempt = 0; ; attempt++)
        {
            await AddBlobAsync(hash, file.Bytes, ct);
            if (file.Thumbnail is not null && thumbHash != hash) await AddBlobAsync(thumbHash!, file.Thumbnail, ct);
            db.StoredFiles.Add(stored);
            try
            {
                await db.SaveAuditedAsync(acting.Actor, now, "file.upload", $"file:{stored.Id}",
                    $"kind={kind} type={file.ContentType} size={file.Bytes.Length} hash={hash[..12]} gps={(stored.Latitude is null ? "no" : "kept")}", ct);
                return stored;
            }
            catch (DbUpdateException) when (attempt == 0 && !ct.IsCancellationRequested)
            {
                // Another upload of the same content stored its chunks first: they are the same bytes, so keep theirs.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task AddBlobAsync(string hash, byte[] bytes, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(Options.Folder))
        {
            var path = BlobPath(hash);
            if (File.Exists(path)) return;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            await File.WriteAllBytesAsync(temp, bytes, ct);
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
            return;
        }
        if (db.ChangeTracker.Entries<FileChunk>().Any(e => e.Entity.Hash == hash)) return;
        if (await db.FileChunks.AnyAsync(c => c.Hash == hash && c.Index == 0, ct)) return;
        var size = Math.Max(1024, Options.ChunkBytes);
        for (int offset = 0, index = 0; offset < bytes.Length || index == 0; offset += size, index++)
        {
            db.FileChunks.Add(new FileChunk { Hash = hash, Index = index, Data = bytes[offset..Math.Min(bytes.Length, offset + size)] });
        }
    }

    private string BlobPath(string hash) => Path.Combine(Options.Folder!, hash[..2], hash);

    /// <summary>The bytes stored under <paramref name="hash"/>, or null when they are missing.</summary>
    public async Task<byte[]?> ReadAsync(string hash, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(Options.Folder))
        {
            var path = BlobPath(hash);
            return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : null;
        }
        var chunks = await db.FileChunks.AsNoTracking().Where(c => c.Hash == hash).OrderBy(c => c.Index).Select(c => c.Data).ToListAsync(ct);
        if (chunks.Count == 0) return null;
        var all = new byte[chunks.Sum(c => c.Length)];
        var at = 0;
        foreach (var c in chunks)
        {
            c.CopyTo(all, at);
            at += c.Length;
        }
        return all;
    }

    public Task<StoredFile?> FindAsync(Guid id, CancellationToken ct) => db.StoredFiles.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id, ct);

    /// <summary>
    /// The files among <paramref name="ids"/> that <paramref name="acting"/> uploaded and nobody owns yet, of <paramref name="kind"/>:
    /// an owner checks this before it saves, so that a wrong id is a field error and not a half-written record.
    /// </summary>
    public async Task<bool> AllAttachableAsync(IReadOnlyCollection<Guid> ids, string kind, Actor actor, CancellationToken ct)
    {
        if (ids.Count == 0) return true;
        var distinct = ids.Distinct().ToList();
        var found = await db.StoredFiles.AsNoTracking()
            .CountAsync(f => distinct.Contains(f.Id) && f.OwnerId == null && f.Kind == kind && f.UploadedBy == actor.UserName, ct);
        return found == distinct.Count;
    }

    /// <summary>Gives the files their owner and the owner's region (one statement); returns how many were attached.</summary>
    public async Task<int> AttachAsync(IReadOnlyCollection<Guid> ids, string module, string ownerId, string regionPath, Actor actor, CancellationToken ct)
    {
        if (ids.Count == 0) return 0;
        var distinct = ids.Distinct().ToList();
        var files = await db.StoredFiles.Where(f => distinct.Contains(f.Id) && f.OwnerId == null && f.UploadedBy == actor.UserName).ToListAsync(ct);
        foreach (var f in files)
        {
            f.OwnerModule = module;
            f.OwnerId = ownerId;
            f.RegionPath = regionPath;
        }
        if (files.Count == 0) return 0;
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, "file.attach", $"{module}:{ownerId}",
            $"files={string.Join(',', files.Select(f => f.Id))}", ct);
        return files.Count;
    }

    /// <summary>The ids of the files of each owner id of <paramref name="module"/>, oldest first.</summary>
    public async Task<Dictionary<string, List<Guid>>> ListAsync(string module, IEnumerable<string> ownerIds, CancellationToken ct)
    {
        var keys = ownerIds.Distinct().ToList();
        if (keys.Count == 0) return [];
        var rows = await db.StoredFiles.AsNoTracking().Where(f => f.OwnerModule == module && keys.Contains(f.OwnerId!))
            .OrderBy(f => f.UploadedAt).Select(f => new { f.OwnerId, f.Id }).ToListAsync(ct);
        return rows.GroupBy(r => r.OwnerId!).ToDictionary(g => g.Key, g => g.Select(r => r.Id).ToList());
    }

    private static string? CleanName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var clean = new string(Path.GetFileName(name.Trim()).Where(c => !char.IsControl(c)).ToArray());
        return clean.Length > 128 ? clean[^128..] : clean;
    }
}
