namespace CivicGrid.Places.Contracts;

/// <summary>An address made by the demo generator, handed to other modules so they can populate it.</summary>
public sealed record SeededAddress(long AddressId, int GridId, string RegionPath, AddressKind Kind);

/// <summary>What an address is used for.</summary>
public enum AddressKind
{
    Residence = 0,
    Rental = 1,
    Shop = 2,
    Office = 3,
    Factory = 4,
    Other = 9,
}
