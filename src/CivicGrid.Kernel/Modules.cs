namespace CivicGrid.Kernel;

/// <summary>An entry of the staff navigation; modules register theirs with <c>services.AddSingleton(new NavEntry(...))</c>.</summary>
/// <param name="Order">Position in the menu, ascending.</param>
/// <param name="Roles">Roles that see the entry; empty means every staff role.</param>
public sealed record NavEntry(int Order, string TitleZh, string TitleEn, string Href, string Icon, params string[] Roles)
{
    public string Title => Bilingual.Pick(TitleZh, TitleEn);
}

/// <summary>
/// An action offered on a doorplate's public page (/d/{token}): Population adds "declare residence", WorkOrders
/// "report a problem". <see cref="Href"/> receives the doorplate token.
/// </summary>
public sealed record DoorplateAction(int Order, string TitleZh, string TitleEn, Func<string, string> Href)
{
    public string Title => Bilingual.Pick(TitleZh, TitleEn);
}

/// <summary>A component another module shows on a region's page; it receives the parameter <c>RegionId</c> (int).</summary>
public sealed record RegionPanel(int Order, Type Component);

/// <summary>A component another module shows on an address's page; it receives the parameter <c>AddressId</c> (long).</summary>
public sealed record AddressPanel(int Order, Type Component);
