using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Sqlite
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
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateOnly>(
                name: "Since",
                table: "residents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "Until",
                table: "residents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Verified",
                table: "residents",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "declarations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    AddressId = table.Column<long>(type: "INTEGER", nullable: false),
                    RegionPath = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IdNumber = table.Column<byte[]>(type: "BLOB", nullable: false),
                    IdIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IdMasked = table.Column<string>(type: "TEXT", maxLength: 18, nullable: false),
                    Phone = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PhoneIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    PhoneMasked = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    MoveInDate = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Relation = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    RejectReason = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    LookupCode = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    SubmittedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Submissions = table.Column<int>(type: "INTEGER", nullable: false),
                    DecidedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DecidedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    ResidentId = table.Column<long>(type: "INTEGER", nullable: true)
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
