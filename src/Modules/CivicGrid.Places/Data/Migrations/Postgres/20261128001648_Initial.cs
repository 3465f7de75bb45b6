using System;
using Microsoft.EntityFrameworkCore.Migrations;
using NetTopologySuite.Geometries;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CivicGrid.Places.Data.Migrations.Postgres
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
                name: "addresses",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GridId = table.Column<int>(type: "integer", nullable: false),
                    RegionPath = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Street = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Building = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Unit = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Room = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Lon = table.Column<double>(type: "double precision", nullable: false),
                    Lat = table.Column<double>(type: "double precision", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    DoorplateToken = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    DoorplateIssuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Synthetic = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_addresses", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "building_heads",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GridId = table.Column<int>(type: "integer", nullable: false),
                    RegionPath = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Building = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Phone = table.Column<byte[]>(type: "bytea", nullable: true),
                    PhoneMasked = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_building_heads", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "region_codes",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RegionId = table.Column<int>(type: "integer", nullable: false),
                    Code = table.Column<string>(type: "character varying(15)", maxLength: 15, nullable: false),
                    ValidFrom = table.Column<DateOnly>(type: "date", nullable: false),
                    ValidTo = table.Column<DateOnly>(type: "date", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_region_codes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "regions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ParentId = table.Column<int>(type: "integer", nullable: true),
                    Level = table.Column<int>(type: "integer", nullable: false),
                    Code = table.Column<string>(type: "character varying(15)", maxLength: 15, nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    RegionPath = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Boundary = table.Column<Geometry>(type: "geometry(Geometry,4326)", nullable: true),
                    MinLon = table.Column<double>(type: "double precision", nullable: false),
                    MinLat = table.Column<double>(type: "double precision", nullable: false),
                    MaxLon = table.Column<double>(type: "double precision", nullable: false),
                    MaxLat = table.Column<double>(type: "double precision", nullable: false),
                    WorkerName = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    WorkerPhone = table.Column<byte[]>(type: "bytea", nullable: true),
                    WorkerPhoneIndex = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    WorkerPhoneMasked = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Synthetic = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_regions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "retired_doorplates",
                columns: table => new
                {
                    Token = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    AddressId = table.Column<long>(type: "bigint", nullable: false),
                    RetiredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retired_doorplates", x => x.Token);
                });

            migrationBuilder.CreateIndex(
                name: "IX_addresses_DoorplateToken",
                table: "addresses",
                column: "DoorplateToken",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_addresses_GridId",
                table: "addresses",
                column: "GridId");

            migrationBuilder.CreateIndex(
                name: "IX_addresses_RegionPath_Id",
                table: "addresses",
                columns: new[] { "RegionPath", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_building_heads_GridId",
                table: "building_heads",
                column: "GridId");

            migrationBuilder.CreateIndex(
                name: "IX_region_codes_Code",
                table: "region_codes",
                column: "Code");

            migrationBuilder.CreateIndex(
                name: "IX_region_codes_RegionId_ValidFrom",
                table: "region_codes",
                columns: new[] { "RegionId", "ValidFrom" });

            migrationBuilder.CreateIndex(
                name: "IX_regions_Boundary",
                table: "regions",
                column: "Boundary")
                .Annotation("Npgsql:IndexMethod", "gist");

            migrationBuilder.CreateIndex(
                name: "IX_regions_Code",
                table: "regions",
                column: "Code");

            migrationBuilder.CreateIndex(
                name: "IX_regions_ParentId",
                table: "regions",
                column: "ParentId");

            migrationBuilder.CreateIndex(
                name: "IX_regions_RegionPath",
                table: "regions",
                column: "RegionPath",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "addresses");

            migrationBuilder.DropTable(
                name: "building_heads");

            migrationBuilder.DropTable(
                name: "region_codes");

            migrationBuilder.DropTable(
                name: "regions");

            migrationBuilder.DropTable(
                name: "retired_doorplates");
        }
    }
}
