using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using NetTopologySuite.Geometries;

namespace CivicGrid.Places.Data;

/// <summary>A node of the region tree: the district, a town/street, a village/community or a grid.</summary>
internal sealed class Region : IRegionScoped
{
    public int Id { get; set; }
    public int? ParentId { get; set; }
    public RegionLevel Level { get; set; }

    /// <summary>Current statistical code (12 digits; grids add 3). History with effective dates is in <see cref="RegionCode"/>.</summary>
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";

    /// <summary>"street"/"town" for towns, "community"/"village" for villages, "grid" for grids.</summary>
    public string Kind { get; set; } = "";

    /// <summary>
    /// Materialised path of ids. It needs the row's own id, so a new region is saved first with a unique placeholder
    /// (the path column is unique) and given its real path right after, in the same transaction.
    /// </summary>
    public string RegionPath { get; set; } = "~" + Guid.NewGuid().ToString("N");

    /// <summary>Boundary in WGS84 (SRID 4326); null until drawn or imported.</summary>
    public Geometry? Boundary { get; set; }

    // The bounding box, kept beside the geometry so that lists and maps select by viewport without geometry functions.
    public double MinLon { get; set; }
    public double MinLat { get; set; }
    public double MaxLon { get; set; }
    public double MaxLat { get; set; }

    /// <summary>Grid worker of a grid (网格员): name in clear, phone encrypted and found by blind index.</summary>
    public string? WorkerName { get; set; }
    public byte[]? WorkerPhone { get; set; }
    public string? WorkerPhoneIndex { get; set; }
    public string? WorkerPhoneMasked { get; set; }

    /// <summary>Made by the demo generator; the UI labels it as synthetic.</summary>
    public bool Synthetic { get; set; }

    public void SetBoundary(Geometry geometry)
    {
        Boundary = geometry;
        var env = geometry.EnvelopeInternal;
        (MinLon, MinLat, MaxLon, MaxLat) = (env.MinX, env.MinY, env.MaxX, env.MaxY);
    }
}

/// <summary>Statistical division codes change over time; each code is kept with the dates it was in force.</summary>
internal sealed class RegionCode
{
    public int Id { get; set; }
    public int RegionId { get; set; }
    public string Code { get; set; } = "";
    public DateOnly ValidFrom { get; set; }
    public DateOnly? ValidTo { get; set; }
}

/// <summary>A building head (楼栋长) of a grid.</summary>
internal sealed class BuildingHead : IRegionScoped
{
    public int Id { get; set; }
    public int GridId { get; set; }
    public string RegionPath { get; set; } = "";
    public string Name { get; set; } = "";
    public string Building { get; set; } = "";
    public byte[]? Phone { get; set; }
    public string? PhoneMasked { get; set; }
}

/// <summary>An address with its smart doorplate (智慧门牌). It lies in exactly one grid.</summary>
internal sealed class Address : IRegionScoped
{
    public long Id { get; set; }
    public int GridId { get; set; }
    public string RegionPath { get; set; } = "";

    /// <summary>Road and number, e.g. "众联路 18 号".</summary>
    public string Street { get; set; } = "";
    public string? Building { get; set; }
    public string? Unit { get; set; }
    public string? Room { get; set; }
    public double Lon { get; set; }
    public double Lat { get; set; }
    public AddressKind Kind { get; set; }

    /// <summary>Unguessable token printed as the doorplate's QR code (/d/{token}).</summary>
    public string DoorplateToken { get; set; } = "";
    public DateTime DoorplateIssuedAt { get; set; }
    public bool Synthetic { get; set; }
}

/// <summary>A doorplate token that was rotated: its label is retired, scanning it says so instead of "not found".</summary>
internal sealed class RetiredDoorplate
{
    public string Token { get; set; } = "";
    public long AddressId { get; set; }
    public DateTime RetiredAt { get; set; }
}
