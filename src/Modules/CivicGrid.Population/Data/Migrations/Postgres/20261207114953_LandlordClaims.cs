using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LandlordClaims : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Claim",
                table: "rental_properties",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ClaimNote",
                table: "rental_properties",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DecidedAt",
                table: "rental_properties",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DecidedBy",
                table: "rental_properties",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "SecretBody",
                table: "outbox",
                type: "bytea",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_rental_properties_RegionPath_Claim",
                table: "rental_properties",
                columns: new[] { "RegionPath", "Claim" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_rental_properties_RegionPath_Claim",
                table: "rental_properties");

            migrationBuilder.DropColumn(
                name: "Claim",
                table: "rental_properties");

            migrationBuilder.DropColumn(
                name: "ClaimNote",
                table: "rental_properties");

            migrationBuilder.DropColumn(
                name: "DecidedAt",
                table: "rental_properties");

            migrationBuilder.DropColumn(
                name: "DecidedBy",
                table: "rental_properties");

            migrationBuilder.DropColumn(
                name: "SecretBody",
                table: "outbox");
        }
    }
}
