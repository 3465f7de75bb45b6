using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LateScanIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_residents_Since",
                table: "residents",
                column: "Since");

            migrationBuilder.CreateIndex(
                name: "IX_declarations_MoveInDate",
                table: "declarations",
                column: "MoveInDate");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_residents_Since",
                table: "residents");

            migrationBuilder.DropIndex(
                name: "IX_declarations_MoveInDate",
                table: "declarations");
        }
    }
}
