using CivicGrid.Places.Contracts;
using CivicGrid.Places.Data;

namespace CivicGrid.Testing;

/// <summary>Tests read addresses straight from Places' tables; the modules take them as the contract's records.</summary>
public static class PlacesInfo
{
    public static AddressInfo Info(this Address a) =>
        new(a.Id, a.GridId, a.RegionPath, AddressDirectory.Line(a.Street, a.Building, a.Unit, a.Room), a.Kind, a.DoorplateToken, a.Lon, a.Lat);

    public static RegionInfo Info(this Region r) => new(r.Id, r.Name, r.Code, r.Level, r.RegionPath, r.ParentId);
}
