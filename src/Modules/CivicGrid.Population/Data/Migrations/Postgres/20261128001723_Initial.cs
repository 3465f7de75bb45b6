using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:postgis", ",,");

            migrationBuilder.CreateTable(
                name: "residents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    IdNumber = table.Column<byte[]>(type: "bytea", nullable: false),
                    IdIndex = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    IdMasked = table.Column<string>(type: "character varying(18)", maxLength: 18, nullable: false),
                    Phone = table.Column<byte[]>(type: "bytea", nullable: true),
                    PhoneIndex = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    PhoneMasked = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Male = table.Column<bool>(type: "boolean", nullable: false),
                    BirthDate = table.Column<DateOnly>(type: "date", nullable: false),
                    AddressId = table.Column<long>(type: "bigint", nullable: false),
                    RegionPath = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Synthetic = table.Column<bool>(type: "boolean", nullable: false)
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
