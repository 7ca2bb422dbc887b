package dev.lunar.spi.scsi;

/**
 * The outcome of a task management function.
 *
 * @param result the service response
 * @param additionalInfo the 3-byte ADDITIONAL RESPONSE INFORMATION (QUERY ASYNC EVENT: sense key,
 *     ASC, ASCQ of the pending unit attention), else 0
 */
public record TmfResponse(TmfResult result, int additionalInfo) {

    public static TmfResponse of(TmfResult result) {
        return new TmfResponse(result, 0);
    }
}
