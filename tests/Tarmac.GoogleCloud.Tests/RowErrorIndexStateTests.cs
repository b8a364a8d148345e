using System.Text;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using Tarmac.GoogleCloud.State;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>A JSON array upload's row errors keep their array index through the state document; CSV errors stay as they were.</summary>
public sealed class RowErrorIndexStateTests
{
    [Fact]
    public void The_index_of_an_array_record_survives_the_state_document_and_a_csv_error_has_none()
    {
        var upload = new UploadRecord
        {
            UploadId = UploadIds.New(), Dataset = "flights", Object = "raw/flights/2026-12-01/x.json", Bytes = 10, Sha256 = new string('a', 64),
            Status = UploadStatus.PartiallyLoaded, ReceivedAt = DateTimeOffset.UnixEpoch,
            Errors = [new RowError(3, "year", "twenty", "must be an integer") { Index = 2 }, new RowError(4, null, null, "bad")],
        };

        var json = new UploadState(upload, null).ToJson();
        var back = UploadState.FromJson(json).Upload.Errors;

        Assert.Equal([2L, null], back.Select(e => e.Index));
        Assert.Equal(upload.Errors, back);
        Assert.Equal(1, Encoding.UTF8.GetString(json).Split("\"index\"").Length - 1);
    }
}
