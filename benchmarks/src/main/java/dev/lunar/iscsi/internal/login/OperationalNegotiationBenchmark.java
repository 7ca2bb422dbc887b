package dev.lunar.iscsi.internal.login;

import dev.lunar.benchmarks.PduCodecBenchmark;
import dev.lunar.iscsi.internal.login.OperationalNegotiation.KeyDefinition;
import dev.lunar.iscsi.internal.login.OperationalNegotiation.KeyKind;
import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextCodec;
import dev.lunar.spi.transport.TransportLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Text-key negotiation of one operational-stage Login request (RFC 7143 §6.2, §13): decode the
 * initiator's text, answer every operational key through the login's {@link OperationalNegotiation}
 * table (dependent keys last, as {@code LoginNegotiator} orders them), encode the answers. Once per
 * connection, so this is about login storms, not I/O. Sits in the login package to reach the
 * package-private negotiation class.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OperationalNegotiationBenchmark {

    private static final TransportLimits LIMITS = new TransportLimits(262144, 262144, 1048576, false, false);

    private byte[] requestText;
    private NegotiationDefaults defaults;

    @Setup
    public void setUp() throws Exception {
        requestText = TextCodec.encode(PduCodecBenchmark.operationalKeys());
        defaults = NegotiationDefaults.standard();
        byte[] answer = negotiate();
        List<KeyValue> answers = TextCodec.decode(answer, 65536, 1024);
        if (!answers.contains(new KeyValue("ImmediateData", "Yes"))
                || !answers.contains(new KeyValue("MaxRecvDataSegmentLength", "262144"))) {
            throw new IllegalStateException("unexpected negotiation answer " + answers);
        }
    }

    @Benchmark
    public byte[] negotiate() throws Exception {
        List<KeyValue> offered = TextCodec.decode(requestText, 65536, 1024);
        OperationalNegotiation negotiation = new OperationalNegotiation(defaults, LIMITS, false);
        List<KeyValue> answers = new ArrayList<>(offered.size());
        List<KeyValue> dependent = new ArrayList<>(2);
        for (KeyValue kv : offered) {
            KeyDefinition definition = OperationalNegotiation.definition(kv.key());
            if (definition == null) {
                answers.add(new KeyValue(kv.key(), OperationalNegotiation.NOT_UNDERSTOOD));
            } else if (definition.kind() == KeyKind.SESSION || definition.kind() == KeyKind.CONNECTION) {
                if (OperationalNegotiation.DEPENDENT_KEYS.contains(kv.key())) {
                    dependent.add(kv);
                } else {
                    answers.add(new KeyValue(kv.key(), negotiation.answer(definition, kv.value())));
                }
            }
        }
        for (KeyValue kv : dependent) {
            answers.add(new KeyValue(kv.key(),
                    negotiation.answer(OperationalNegotiation.definition(kv.key()), kv.value())));
        }
        return TextCodec.encode(answers);
    }
}
