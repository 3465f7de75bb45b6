using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CivicGrid.Kernel.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Jobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "job_runs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    JobKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Node = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    FireTime = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Trigger = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_runs", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_job_runs_JobKey_FireTime",
                table: "job_runs",
                columns: new[] { "JobKey", "FireTime" });

            migrationBuilder.CreateIndex(
                name: "IX_job_runs_JobKey_StartedAt",
                table: "job_runs",
                columns: new[] { "JobKey", "StartedAt" });

            // The tables of Quartz.NET's clustered job store: Quartz 4.7.3's own create_postgres.sql (every statement
            // "IF NOT EXISTS", so a database whose scheduler already made them is left as it is), prefix qrtz_.
            migrationBuilder.Sql(QuartzSchema.Script());
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "job_runs");

            migrationBuilder.Sql(QuartzSchema.DropScript());
        }
    }
}
