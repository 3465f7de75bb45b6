using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class FiguresIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_residents_RegionPath_Until_Kind_Declared_Verified",
                table: "residents",
                columns: new[] { "RegionPath", "Until", "Kind", "Declared", "Verified" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_residents_RegionPath_Until_Kind_Declared_Verified",
                table: "residents");
        }
    }
}
