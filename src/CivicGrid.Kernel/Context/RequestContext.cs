using System.Globalization;
using System.Security.Claims;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Regions;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Http;

namespace CivicGrid.Kernel.Context;

/// <summary>What kind of party is acting.</summary>
public enum ActorKind
{
    /// <summary>A signed-in staff account (one role, one region, any number of units).</summary>
    Staff,
    /// <summary>A person signed in with a one-time code to their phone (a landlord, a reporter, a mediation party).</summary>
    Person,
    /// <summary>A member of the public without any sign-in (a resident scanning a doorplate).</summary>
    Public,
    /// <summary>A scheduled or background job of the platform.</summary>
    Job,
    /// <summary>A command-line verb run by an operator on the server.</summary>
    Cli,
}

/// <summary>
/// Who is acting, the same for an HTTP request, a Blazor circuit, a background job and a command-line verb: the kind, the
/// account or person, the role, the units, the region scope (the one place it is worked out, from the sign-in's claims) and
/// the client address. <see cref="Actor"/> is what the audit log records of it.
/// </summary>
public sealed record Acting(ActorKind Kind, string? UserId, string UserName, string Role, RegionScope? Scope, IReadOnlyList<int> UnitIds,
    string? ClientAddress)
{
    /// <summary>The audit log's view: who, role, region path, from where.</summary>
    public Actor Actor => new(UserId, UserName, Role, Scope?.Path ?? "", ClientAddress);

    /// <summary>The region scope of a staff member, a job or a CLI verb; throws for people without one (a programming error).</summary>
    public RegionScope RequiredScope =>
        Scope ?? throw new InvalidOperationException($"{Kind} '{UserName}' acts without a region scope.");

    public bool IsStaff => Kind == ActorKind.Staff;

    public bool Has(string permission) => Kind == ActorKind.Staff && Permissions.Has(Role, permission);

    public bool InUnit(int unitId) => UnitIds.Contains(unitId);

    /// <summary>Nobody: an anonymous caller (no scope, no role).</summary>
    public static Acting Anonymous(string? clientAddress) => new(ActorKind.Public, null, "public", "public", null, [], clientAddress);

    /// <summary>
    /// The party a principal stands for: a staff member (claims from the staff sign-in, <see cref="StaffClaims"/>), a person
    /// signed in with a one-time code (<see cref="PersonClaims"/>), or the public.
    /// </summary>
    public static Acting From(ClaimsPrincipal user, string? clientAddress)
    {
        if (user.Identity?.IsAuthenticated != true) return Anonymous(clientAddress);
        if (user.Scope() is { } scope)
        {
            var units = user.FindAll(StaffClaims.Unit)
                .Select(c => int.TryParse(c.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0)
                .Where(id => id > 0).Distinct().ToArray();
            return new Acting(ActorKind.Staff, user.FindFirstValue(ClaimTypes.NameIdentifier), user.Identity?.Name ?? "",
                user.FindFirstValue(ClaimTypes.Role) ?? "", scope, units, clientAddress);
        }
        if (user.FindFirstValue(PersonClaims.Subject) is { } subject)
        {
            return new Acting(ActorKind.Person, null, subject, user.FindFirstValue(PersonClaims.Purpose) ?? "person", null, [], clientAddress);
        }
        return Anonymous(clientAddress);
    }

    public static Acting From(HttpContext http) => From(http.User, http.Connection.RemoteIpAddress?.ToString());

    /// <summary>A platform job acting for the whole district (scope "/" holds every path).</summary>
    public static Acting Job(string name) => new(ActorKind.Job, null, $"job:{name}", "system", new RegionScope(0, "/", RegionLevel.District), [], null);

    /// <summary>A command-line verb acting in <paramref name="scope"/> (the region the operator named).</summary>
    public static Acting Cli(string verb, RegionScope scope) =>
        new(ActorKind.Cli, null, $"cli:{verb}", "system", scope, [], Environment.MachineName);
}

/// <summary>Claims of a person signed in with a one-time code (not a staff account).</summary>
public static class PersonClaims
{
    /// <summary>The person's key within the module that signed them in, e.g. "landlord:42"; the audit log's user name.</summary>
    public const string Subject = "cg:person";

    /// <summary>What the code was for ("landlord", "reporter", "party"); the audit log's role.</summary>
    public const string Purpose = "cg:person_purpose";

    /// <summary>The blind index of the verified mobile number, so a module can find what this person owns.</summary>
    public const string PhoneIndex = "cg:person_phone_index";
}

/// <summary>
/// The acting party for the current unit of work. In an HTTP request it comes from the request's user; in a Blazor circuit
/// (no HttpContext after the first request) from the circuit's authentication state and the client address captured when
/// the circuit started; a job or CLI verb sets it with <see cref="Use"/> on its own scope.
/// </summary>
public sealed class RequestContext(IHttpContextAccessor http, IServiceProvider services)
{
    private Acting? fixedActing;

    /// <summary>The client address of a circuit, captured by the router when the circuit starts.</summary>
    public string? ClientAddress { get; set; }

    /// <summary>Makes <paramref name="acting"/> the acting party of this scope (jobs, CLI verbs, tests).</summary>
    public RequestContext Use(Acting acting)
    {
        fixedActing = acting;
        return this;
    }

    public async ValueTask<Acting> GetAsync()
    {
        if (fixedActing is not null) return fixedActing;
        // A circuit's authentication state is the truth inside interactive components; HttpContext there is stale or absent.
        if (ClientAddress is not null || http.HttpContext is null || http.HttpContext.WebSockets.IsWebSocketRequest)
        {
            if (services.GetService(typeof(AuthenticationStateProvider)) is AuthenticationStateProvider auth)
            {
                var state = await auth.GetAuthenticationStateAsync();
                return Acting.From(state.User, ClientAddress);
            }
        }
        return http.HttpContext is { } context ? Acting.From(context) : Acting.Anonymous(null);
    }

    /// <summary>The audit log's view of the acting party.</summary>
    public async ValueTask<Actor> ActorAsync() => (await GetAsync()).Actor;
}
