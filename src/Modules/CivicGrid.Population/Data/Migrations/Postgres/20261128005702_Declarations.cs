using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Declarations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Declared",
                table: "residents",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateOnly>(
                name: "Since",
                table: "residents",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "Until",
                table: "residents",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Verified",
                table: "residents",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "declarations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    AddressId = table.Column<long>(type: "bigint", nullable: false),
                    RegionPath = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    IdNumber = table.Column<byte[]>(type: "bytea", nullable: false),
                    IdIndex = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    IdMasked = table.Column<string>(type: "character varying(18)", maxLength: 18, nullable: false),
                    Phone = table.Column<byte[]>(type: "bytea", nullable: true),
                    PhoneIndex = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    PhoneMasked = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    MoveInDate = table.Column<DateOnly>(type: "date", nullable: false),
                    Relation = table.Column<int>(type: "integer", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    RejectReason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    LookupCode = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    SubmittedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Submissions = table.Column<int>(type: "integer", nullable: false),
                    DecidedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DecidedBy = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ResidentId = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_declarations", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_residents_Name",
                table: "residents",
                column: "Name");

            migrationBuilder.CreateIndex(
                name: "IX_declarations_IdIndex_AddressId_Status",
                table: "declarations",
                columns: new[] { "IdIndex", "AddressId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_declarations_LookupCode",
                table: "declarations",
                column: "LookupCode",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_declarations_RegionPath_Status_Id",
                table: "declarations",
                columns: new[] { "RegionPath", "Status", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "declarations");

            migrationBuilder.DropIndex(
                name: "IX_residents_Name",
                table: "residents");

            migrationBuilder.DropColumn(
                name: "Declared",
                table: "residents");

            migrationBuilder.DropColumn(
                name: "Since",
                table: "residents");

            migrationBuilder.DropColumn(
                name: "Until",
                table: "residents");

            migrationBuilder.DropColumn(
                name: "Verified",
                table: "residents");
        }
    }
}
