using System.Buffers.Text;
using System.Text;

namespace Tarmac.DataGen;

/// <summary>
/// Writes flights CSV in the Tarmac flights schema and the seed's formats (<c>517.0</c> for integral
/// floats, <c>2013-01-01 05:00:00</c> timestamps). Deterministic: the same seed and row count give the
/// same bytes. Rows run through the year in date order, like the seed's nycflights13 data; carriers,
/// airports and tail numbers come from fixed lists with skew; delays are long-tailed; times follow the
/// schedule; distance and air time follow the route; about 2.5% of flights are cancelled.
/// </summary>
public sealed class FlightsGenerator(ulong seed, int year = 2013)
{
    /// <summary>The header line of every generated file (the schema's column order).</summary>
    public const string Header = "id,year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,sched_arr_time,arr_delay,carrier,flight,tailnum,origin,dest,air_time,distance,hour,minute,time_hour,name";

    /// <summary>Share of cancelled flights (empty dep/arr times, delays and air time).</summary>
    public const double CancelledShare = 0.025;

    private static readonly (string Code, string Name, int Weight)[] Carriers =
    [
        ("UA", "United Air Lines Inc.", 58665), ("B6", "JetBlue Airways", 54635), ("EV", "ExpressJet Airlines Inc.", 54173),
        ("DL", "Delta Air Lines Inc.", 48110), ("AA", "American Airlines Inc.", 32729), ("MQ", "Envoy Air", 26397),
        ("US", "US Airways Inc.", 20536), ("9E", "Endeavor Air Inc.", 18460), ("WN", "Southwest Airlines Co.", 12275),
        ("VX", "Virgin America", 5162), ("FL", "AirTran Airways Corporation", 3260), ("AS", "Alaska Airlines Inc.", 714),
        ("F9", "Frontier Airlines Inc.", 685), ("YV", "Mesa Airlines Inc.", 601), ("HA", "Hawaiian Airlines Inc.", 342),
        ("OO", "SkyWest Airlines Inc.", 32),
    ];

    private static readonly (string Code, int Offset, int Weight)[] Origins = [("EWR", 0, 120835), ("JFK", 11, 111279), ("LGA", -8, 104662)];

    // Destination, distance in miles from Newark, relative traffic.
    private static readonly (string Code, int Distance, int Weight)[] Destinations =
    [
        ("ORD", 719, 17283), ("ATL", 746, 17215), ("LAX", 2454, 16174), ("BOS", 200, 15508), ("MCO", 937, 14082),
        ("CLT", 529, 14064), ("SFO", 2565, 13331), ("FLL", 1065, 12055), ("MIA", 1085, 11728), ("DCA", 199, 9705),
        ("DTW", 488, 9384), ("DFW", 1372, 8738), ("RDU", 416, 8163), ("TPA", 997, 7466), ("DEN", 1605, 7266),
        ("IAH", 1400, 7198), ("MSP", 1008, 7185), ("PBI", 1023, 6554), ("BNA", 748, 6333), ("LAS", 2227, 5997),
        ("SJU", 1608, 5819), ("IAD", 212, 5700), ("BUF", 282, 4681), ("PHX", 2133, 4656), ("CLE", 404, 4573),
        ("STL", 872, 4339), ("MSY", 1167, 3799), ("SEA", 2402, 3923), ("PIT", 319, 2875), ("SLC", 1969, 2467),
        ("AUS", 1504, 2439), ("BQN", 1585, 896), ("HNL", 4963, 707), ("ANC", 3370, 8), ("SAN", 2425, 2737),
    ];

    // Scheduled departures per hour of the day, 05:00 to 23:00.
    private static readonly int[] HourWeights = [1953, 25951, 22821, 24242, 20312, 16708, 16033, 18181, 21279, 23888, 23002, 24426, 21783, 21102, 20966, 16153, 10933, 2639, 1061];

    private static readonly int[] CarrierCumulative = Cumulative(Carriers.Select(c => c.Weight));
    private static readonly int[] OriginCumulative = Cumulative(Origins.Select(o => o.Weight));
    private static readonly int[] DestinationCumulative = Cumulative(Destinations.Select(d => d.Weight));
    private static readonly int[] HourCumulative = Cumulative(HourWeights);
    private static readonly byte[][] CarrierBytes = Carriers.Select(c => Encoding.ASCII.GetBytes(c.Code)).ToArray();
    private static readonly byte[][] NameBytes = Carriers.Select(c => Encoding.ASCII.GetBytes(c.Name)).ToArray();
    private static readonly byte[][] OriginBytes = Origins.Select(o => Encoding.ASCII.GetBytes(o.Code)).ToArray();
    private static readonly byte[][] DestinationBytes = Destinations.Select(d => Encoding.ASCII.GetBytes(d.Code)).ToArray();
    private static readonly byte[][][] TailNumbers = BuildTailNumbers();

    /// <summary>Writes the header and <paramref name="rows"/> rows to <paramref name="output"/>; returns the bytes written.</summary>
    public long Write(Stream output, long rows)
    {
        var random = new Xoshiro(seed);
        var buffer = new byte[1 << 20];
        var pos = 0;
        long written = 0;
        pos += Encoding.ASCII.GetBytes(Header + "\n", buffer);
        var firstDay = new DateOnly(year, 1, 1);
        var days = DateTime.IsLeapYear(year) ? 366 : 365;
        for (long i = 0; i < rows; i++)
        {
            if (buffer.Length - pos < 512)
            {
                output.Write(buffer, 0, pos);
                written += pos;
                pos = 0;
            }
            var date = firstDay.AddDays((int)(i * days / rows));
            pos += WriteRow(buffer.AsSpan(pos), i, date, ref random);
        }
        output.Write(buffer, 0, pos);
        output.Flush();
        return written + pos;
    }

    /// <summary>The whole file as bytes (for tests and in-memory benchmarks).</summary>
    public byte[] ToArray(long rows)
    {
        using var ms = new MemoryStream();
        Write(ms, rows);
        return ms.ToArray();
    }

    private static int WriteRow(Span<byte> s, long id, DateOnly date, ref Xoshiro random)
    {
        var carrier = Pick(CarrierCumulative, ref random);
        var origin = Pick(OriginCumulative, ref random);
        var dest = Pick(DestinationCumulative, ref random);
        var hour = 5 + Pick(HourCumulative, ref random);
        // Schedules are mostly on 5-minute marks.
        var minute = random.Next(10) < 8 ? 5 * random.Next(12) : random.Next(60);
        var schedDep = hour * 60 + minute;
        var distance = Math.Max(80, Destinations[dest].Distance + Origins[origin].Offset);
        var plannedAir = distance / 8.1 + 18;
        var schedArr = (schedDep + (int)Math.Round(plannedAir + 25)) % 1440;
        var flight = 1 + (int)(Hash((ulong)carrier * 7919 + (ulong)dest * 104729 + (ulong)origin * 31 + (ulong)hour) % (carrier < 3 ? 6000UL : 2500UL));
        var tails = TailNumbers[carrier];
        var tail = tails[(int)(tails.Length * Math.Pow(random.NextDouble(), 2.2))];
        var cancelled = random.NextDouble() < CancelledShare;

        var airTime = 0;
        var p = 0;
        p += Int(s[p..], id); s[p++] = (byte)',';
        p += Int(s[p..], date.Year); s[p++] = (byte)',';
        p += Int(s[p..], date.Month); s[p++] = (byte)',';
        p += Int(s[p..], date.Day); s[p++] = (byte)',';
        if (cancelled)
        {
            // dep_time, dep_delay, arr_time and arr_delay stay empty; the schedule is kept.
            s[p++] = (byte)',';
            p += Int(s[p..], Clock(schedDep)); s[p++] = (byte)','; s[p++] = (byte)','; s[p++] = (byte)',';
            p += Int(s[p..], Clock(schedArr)); s[p++] = (byte)','; s[p++] = (byte)',';
        }
        else
        {
            var depDelay = DepartureDelay(ref random);
            airTime = Math.Max(20, (int)Math.Round(plannedAir * (1 + 0.06 * random.NextGaussian())));
            var arrDelay = depDelay + (airTime - (int)Math.Round(plannedAir)) + (int)Math.Round(-6 + 9 * random.NextGaussian());
            p += Float(s[p..], Clock(schedDep + depDelay)); s[p++] = (byte)',';
            p += Int(s[p..], Clock(schedDep)); s[p++] = (byte)',';
            p += Float(s[p..], depDelay); s[p++] = (byte)',';
            p += Float(s[p..], Clock(schedArr + arrDelay)); s[p++] = (byte)',';
            p += Int(s[p..], Clock(schedArr)); s[p++] = (byte)',';
            p += Float(s[p..], arrDelay); s[p++] = (byte)',';
        }
        p += Bytes(s[p..], CarrierBytes[carrier]); s[p++] = (byte)',';
        p += Int(s[p..], flight); s[p++] = (byte)',';
        p += Bytes(s[p..], tail); s[p++] = (byte)',';
        p += Bytes(s[p..], OriginBytes[origin]); s[p++] = (byte)',';
        p += Bytes(s[p..], DestinationBytes[dest]); s[p++] = (byte)',';
        if (!cancelled) p += Float(s[p..], airTime);
        s[p++] = (byte)',';
        p += Int(s[p..], distance); s[p++] = (byte)',';
        p += Int(s[p..], hour); s[p++] = (byte)',';
        p += Int(s[p..], minute); s[p++] = (byte)',';
        p += Int(s[p..], date.Year); s[p++] = (byte)'-';
        p += Two(s[p..], date.Month); s[p++] = (byte)'-';
        p += Two(s[p..], date.Day); s[p++] = (byte)' ';
        p += Two(s[p..], hour);
        ":00:00,"u8.CopyTo(s[p..]); p += 7;
        p += Bytes(s[p..], NameBytes[carrier]);
        s[p++] = (byte)'\n';
        return p;
    }

    /// <summary>Minutes of departure delay: mostly a few minutes early, a long tail of late ones.</summary>
    private static int DepartureDelay(ref Xoshiro random)
    {
        var u = random.NextDouble();
        if (u < 0.58) return -(int)(random.NextDouble() * random.NextDouble() * 14); // early or on time
        if (u < 0.97) return 1 + (int)(-Math.Log(1 - random.NextDouble()) * 32); // exponential
        return Math.Min(1300, 60 + (int)(60 / Math.Pow(1 - random.NextDouble(), 0.8))); // heavy tail
    }

    /// <summary>Minutes after midnight (any day) as an HHMM clock reading.</summary>
    private static int Clock(int minutes)
    {
        var m = ((minutes % 1440) + 1440) % 1440;
        return m / 60 * 100 + m % 60;
    }

    private static int Pick(int[] cumulative, ref Xoshiro random)
    {
        var x = random.Next(cumulative[^1]);
        var i = Array.BinarySearch(cumulative, x + 1);
        return i >= 0 ? i : ~i;
    }

    private static int[] Cumulative(IEnumerable<int> weights)
    {
        var sum = 0;
        return weights.Select(w => sum += w).ToArray();
    }

    private static byte[][][] BuildTailNumbers()
    {
        // A fixed fleet, independent of the seed: the same tail numbers in every file.
        var random = new Xoshiro(0x7A11);
        var suffixes = new[] { "UA", "AA", "JB", "DL", "MQ", "US", "9E", "WN", "VA", "", "", "" };
        return Carriers.Select((c, ci) =>
        {
            var size = Math.Max(4, (int)(4000L * c.Weight / Carriers.Sum(x => x.Weight)));
            return Enumerable.Range(0, size).Select(_ =>
            {
                var digits = 1 + random.Next(998);
                var letters = random.Next(3) == 0 ? suffixes[ci % suffixes.Length] : ((char)('A' + random.Next(26))).ToString() + (char)('A' + random.Next(26));
                return Encoding.ASCII.GetBytes($"N{digits}{letters}");
            }).ToArray();
        }).ToArray();
    }

    private static ulong Hash(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }

    private static int Int(Span<byte> s, long v) => Utf8Formatter.TryFormat(v, s, out var n) ? n : throw new InvalidOperationException();

    private static int Float(Span<byte> s, long v)
    {
        var n = Int(s, v);
        s[n] = (byte)'.';
        s[n + 1] = (byte)'0';
        return n + 2;
    }

    private static int Two(Span<byte> s, int v)
    {
        s[0] = (byte)('0' + v / 10);
        s[1] = (byte)('0' + v % 10);
        return 2;
    }

    private static int Bytes(Span<byte> s, byte[] b)
    {
        b.CopyTo(s);
        return b.Length;
    }

    /// <summary>xoshiro256**: fast, and the same sequence on every platform and runtime version.</summary>
    private struct Xoshiro
    {
        private ulong _s0, _s1, _s2, _s3;

        public Xoshiro(ulong seed)
        {
            _s0 = Hash(seed);
            _s1 = Hash(_s0);
            _s2 = Hash(_s1);
            _s3 = Hash(_s2);
        }

        public ulong NextUInt64()
        {
            var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 17;
            _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
            _s2 ^= t;
            _s3 = ulong.RotateLeft(_s3, 45);
            return result;
        }

        public int Next(int max) => (int)((NextUInt64() >> 32) * (ulong)max >> 32);

        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        public double NextGaussian()
        {
            var u1 = 1 - NextDouble();
            return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * NextDouble());
        }
    }
}
