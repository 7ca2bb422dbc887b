package dev.lunar.scsi.internal.sense;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class SenseEncoderTest {

    @Test
    void fixedFormatWithInformationAndFieldPointer() {
        Sense s = Sense.INVALID_FIELD_IN_CDB.withFieldPointer(true, 9, 2).withInformation(0x1234);
        byte[] b = SenseEncoder.fixed(s);
        assertEquals(18, b.length);
        assertEquals(0xf0, b[0] & 0xff, "VALID + 70h");
        assertEquals(0x05, b[2]);
        assertEquals(0x1234, ByteBuffer.wrap(b, 3, 4).getInt());
        assertEquals(10, b[7]);
        assertEquals(0x24, b[12]);
        assertEquals(0xca, b[15] & 0xff, "SKSV, C/D, BPV, bit 2");
        assertEquals(9, ((b[16] & 0xff) << 8) | (b[17] & 0xff));
    }

    @Test
    void fixedFormatWithoutInformationHasValidClear() {
        byte[] b = SenseEncoder.fixed(Sense.LBA_OUT_OF_RANGE);
        assertEquals(0x70, b[0] & 0xff);
        assertEquals(0, b[15]);
    }

    @Test
    void descriptorFormat() {
        Sense s = Sense.MISCOMPARE_DURING_VERIFY.withInformation(7).withFieldPointer(false, 3, -1);
        byte[] b = SenseEncoder.descriptor(s);
        assertEquals(0x72, b[0]);
        assertEquals(0x0e, b[1]);
        assertEquals(0x1d, b[2]);
        assertEquals(b.length - 8, b[7]);
        assertEquals(0x00, b[8], "information descriptor");
        assertEquals(0x80, b[10] & 0xff, "VALID");
        assertEquals(7, ByteBuffer.wrap(b, 12, 8).getLong());
        assertEquals(0x02, b[20], "sense key specific descriptor");
        assertEquals(0x80, b[24] & 0xff, "SKSV, parameter list");
        assertEquals(3, b[26]);
        assertEquals(8, SenseEncoder.descriptor(Sense.COMMAND_ABORTED).length);
    }
}
