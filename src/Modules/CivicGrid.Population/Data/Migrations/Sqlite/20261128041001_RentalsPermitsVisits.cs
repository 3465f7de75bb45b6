using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CivicGrid.Population.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RentalsPermitsVisits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "reminders",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    TargetId = table.Column<long>(type: "INTEGER", nullable: false),
                    DueOn = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    RegionPath = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    LandlordId = table.Column<long>(type: "INTEGER", nullable: true),
                    SentAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_reminders", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "residence_permits",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ResidentId = table.Column<long>(type: "INTEGER", nullable: false),
                    AddressId = table.Column<long>(type: "INTEGER", nullable: false),
                    RegionPath = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IdIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IdMasked = table.Column<string>(type: "TEXT", maxLength: 18, nullable: false),
                    Phone = table.Column<byte[]>(type: "BLOB", nullable: true),
                    PhoneIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    PhoneMasked = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Employer = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    PermitNumber = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    LookupCode = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    AppliedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DecidedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DecidedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    RejectReason = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    IssuedOn = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    LastEndorsedOn = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    EndorsementDue = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_residence_permits", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "tenancies",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RentalPropertyId = table.Column<long>(type: "INTEGER", nullable: false),
                    LandlordId = table.Column<long>(type: "INTEGER", nullable: false),
                    AddressId = table.Column<long>(type: "INTEGER", nullable: false),
                    RegionPath = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    TenantName = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    TenantIdNumber = table.Column<byte[]>(type: "BLOB", nullable: false),
                    TenantIdIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    TenantIdMasked = table.Column<string>(type: "TEXT", maxLength: 18, nullable: false),
                    TenantPhone = table.Column<byte[]>(type: "BLOB", nullable: true),
                    TenantPhoneIndex = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    TenantPhoneMasked = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    MoveIn = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    LeaseEnd = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    MoveOut = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    MoveInReportedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    MoveOutReportedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Source = table.Column<int>(type: "INTEGER", nullable: false),
                    ResidentId = table.Column<long>(type: "INTEGER", nullable: true),
                    CheckedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tenancies", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "visits",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    AddressId = table.Column<long>(type: "INTEGER", nullable: false),
                    RegionPath = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Target = table.Column<int>(type: "INTEGER", nullable: false),
                    TargetId = table.Column<long>(type: "INTEGER", nullable: true),
                    Outcome = table.Column<int>(type: "INTEGER", nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    VisitedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    VisitedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_visits", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_reminders_Kind_TargetId_DueOn",
                table: "reminders",
                columns: new[] { "Kind", "TargetId", "DueOn" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_reminders_LandlordId_Id",
                table: "reminders",
                columns: new[] { "LandlordId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_residence_permits_IdIndex",
                table: "residence_permits",
                column: "IdIndex");

            migrationBuilder.CreateIndex(
                name: "IX_residence_permits_LookupCode",
                table: "residence_permits",
                column: "LookupCode",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_residence_permits_RegionPath_Status_Id",
                table: "residence_permits",
                columns: new[] { "RegionPath", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_residence_permits_Status_EndorsementDue",
                table: "residence_permits",
                columns: new[] { "Status", "EndorsementDue" });

            migrationBuilder.CreateIndex(
                name: "IX_tenancies_LandlordId_Id",
                table: "tenancies",
                columns: new[] { "LandlordId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_tenancies_LeaseEnd_MoveOut",
                table: "tenancies",
                columns: new[] { "LeaseEnd", "MoveOut" });

            migrationBuilder.CreateIndex(
                name: "IX_tenancies_RegionPath_Id",
                table: "tenancies",
                columns: new[] { "RegionPath", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_tenancies_RentalPropertyId_MoveOut",
                table: "tenancies",
                columns: new[] { "RentalPropertyId", "MoveOut" });

            migrationBuilder.CreateIndex(
                name: "IX_tenancies_TenantIdIndex_MoveOut",
                table: "tenancies",
                columns: new[] { "TenantIdIndex", "MoveOut" });

            migrationBuilder.CreateIndex(
                name: "IX_visits_AddressId",
                table: "visits",
                column: "AddressId");

            migrationBuilder.CreateIndex(
                name: "IX_visits_RegionPath_VisitedAt",
                table: "visits",
                columns: new[] { "RegionPath", "VisitedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_visits_Target_TargetId",
                table: "visits",
                columns: new[] { "Target", "TargetId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "reminders");

            migrationBuilder.DropTable(
                name: "residence_permits");

            migrationBuilder.DropTable(
                name: "tenancies");

            migrationBuilder.DropTable(
                name: "visits");
        }
    }
}
