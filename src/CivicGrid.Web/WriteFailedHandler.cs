using System.Data.Common;
using CivicGrid.Kernel;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web;

/// <summary>
/// A write the database refused (its audit line could not be stored, a constraint, the database gone) is answered 503 with
/// a problem in both languages instead of a bare 500: an audited write rolls back whole, so the caller may simply try again.
/// The exception itself is logged by the exception-handler middleware; its message is not sent (it may quote values).
/// </summary>
internal sealed class WriteFailedHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        // PostgreSQL's execution strategy wraps a transient failure (a dropped connection) in an InvalidOperationException.
        if (exception is not (DbUpdateException or DbException or InvalidOperationException { InnerException: DbUpdateException or DbException })) return false;
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        var title = Bilingual.Both("保存失败，本次操作未写入，请稍后重试", "Saving failed: nothing of this request was written; try again later");
        if (await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = title },
            }))
        {
            return true;
        }
        // A browser's form post that accepts no JSON still gets the sentence.
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(title, cancellationToken);
        return true;
    }
}
