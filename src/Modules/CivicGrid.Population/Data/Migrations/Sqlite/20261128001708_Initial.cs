using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "residents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IdNumber = table.Column<byte[]>(type: "BLOB", nullable: false),
                    IdIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IdMasked = table.Column<string>(type: "TEXT", maxLength: 18, nullable: false),
                    Phone = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PhoneIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    PhoneMasked = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Male = table.Column<bool>(type: "INTEGER", nullable: false),
                    BirthDate = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    AddressId = table.Column<long>(type: "INTEGER", nullable: false),
                    RegionPath = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Synthetic = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_residents", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_residents_AddressId",
                table: "residents",
                column: "AddressId");

            migrationBuilder.CreateIndex(
                name: "IX_residents_IdIndex",
                table: "residents",
                column: "IdIndex");

            migrationBuilder.CreateIndex(
                name: "IX_residents_PhoneIndex",
                table: "residents",
                column: "PhoneIndex");

            migrationBuilder.CreateIndex(
                name: "IX_residents_RegionPath_Id",
                table: "residents",
                columns: new[] { "RegionPath", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "residents");
        }
    }
}
