using System.Globalization;
using System.Text;

namespace Tarmac.IntegrationTests;

/// <summary>One flights row as the checks write it and expect it back.</summary>
public sealed record Takeoff(
    long Id, int Year, int Month, int Day, int? DepTime, int SchedDepTime, double? DepDelay, int? ArrTime, int SchedArrTime,
    double? ArrDelay, string Carrier, string Flight, string Tailnum, string Origin, string Dest, double? AirTime, double Distance,
    int Hour, int Minute, DateTime TimeHour, string Name);

/// <summary>Rows whose ids are unique to one run, so checks on a shared deployment only ever see their own data.</summary>
public static class TakeoffRows
{
    public const string Header = "id,year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,sched_arr_time,arr_delay,carrier,flight,tailnum,origin,dest,air_time,distance,hour,minute,time_hour,name";

    private static readonly (string Code, string Name)[] Carriers = [("UA", "United Air Lines Inc."), ("AA", "American Airlines Inc."), ("B6", "JetBlue Airways")];
    private static readonly string[] Airports = ["EWR", "JFK", "LGA", "IAH", "MIA", "ATL", "ORD"];

    /// <summary>A random id base far above any real flight id, different on every run.</summary>
    public static long NewRunBase() => 9_000_000_000_000L + Random.Shared.NextInt64(0, 999_999_999) * 1000;

    public static IReadOnlyList<Takeoff> Generate(long idBase, int count)
    {
        var rng = new Random((int)(idBase % int.MaxValue));
        var rows = new List<Takeoff>(count);
        for (var i = 0; i < count; i++)
        {
            var (code, name) = Carriers[i % Carriers.Length];
            var sched = 500 + rng.Next(0, 1400);
            var hour = sched / 100;
            var minute = sched % 60;
            var cancelled = i % 7 == 6;
            var delay = cancelled ? (double?)null : rng.Next(-10, 90);
            rows.Add(new Takeoff(idBase + i, 2013, 1 + i % 12, 1 + i % 28, cancelled ? null : sched + (int)delay!.Value, sched, delay,
                cancelled ? null : sched + 200, sched + 200, cancelled ? null : delay - 3, code, (1000 + i).ToString(CultureInfo.InvariantCulture),
                $"N{100 + i}XX", Airports[i % Airports.Length], Airports[(i + 3) % Airports.Length], cancelled ? null : 100 + i, 500 + 10 * i,
                hour, minute, new DateTime(2013, 1 + i % 12, 1 + i % 28, hour % 24, 0, 0, DateTimeKind.Utc), name));
        }
        return rows;
    }

    /// <summary>The rows as CSV in the seed's style: integral floats for nullable integers, timestamps without zone.</summary>
    public static string ToCsv(IEnumerable<Takeoff> rows)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var r in rows)
        {
            sb.AppendJoin(',', r.Id, r.Year, r.Month, r.Day, F(r.DepTime), r.SchedDepTime, F(r.DepDelay), F(r.ArrTime), r.SchedArrTime,
                F(r.ArrDelay), r.Carrier, r.Flight, r.Tailnum, r.Origin, r.Dest, F(r.AirTime), F(r.Distance), r.Hour, r.Minute,
                r.TimeHour.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Quote(r.Name)).Append('\n');
        }
        return sb.ToString();
    }

    private static string F(double? v) => v is null ? "" : v.Value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Quote(string s) => s.Contains(',') ? $"\"{s}\"" : s;
}
