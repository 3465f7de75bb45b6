using Microsoft.AspNetCore.Components.Authorization;

namespace CivicGrid.Kernel.Audit;

/// <summary>
/// The actor behind an interactive page. A Blazor circuit has no HttpContext after the first request, so the client
/// address is captured then (by the router component) and kept here for the audit log.
/// </summary>
public sealed class CircuitActor(AuthenticationStateProvider auth)
{
    public string? ClientAddress { get; set; }

    public async Task<Actor> GetAsync() => Actor.From((await auth.GetAuthenticationStateAsync()).User, ClientAddress);
}
