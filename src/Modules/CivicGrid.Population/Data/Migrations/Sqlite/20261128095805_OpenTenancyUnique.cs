using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OpenTenancyUnique : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Open duplicates made before the index (the same move-in posted twice) would stop it being built: the first
            // report stands, the later copies of the same open tenancy are removed.
            migrationBuilder.Sql("""
                DELETE FROM "tenancies" WHERE "MoveOut" IS NULL AND EXISTS (
                    SELECT 1 FROM "tenancies" AS k WHERE k."MoveOut" IS NULL AND k."RentalPropertyId" = "tenancies"."RentalPropertyId"
                        AND k."TenantIdIndex" = "tenancies"."TenantIdIndex" AND k."Id" < "tenancies"."Id")
                """);
            migrationBuilder.CreateIndex(
                name: "UX_tenancies_open_tenant",
                table: "tenancies",
                columns: new[] { "RentalPropertyId", "TenantIdIndex" },
                unique: true,
                filter: "\"MoveOut\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "UX_tenancies_open_tenant",
                table: "tenancies");
        }
    }
}
