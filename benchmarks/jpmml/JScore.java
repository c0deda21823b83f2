import java.io.*;
import java.nio.file.*;
import java.util.*;
import org.jpmml.evaluator.*;

/** Scores a CSV with JPMML (mode "score") or measures throughput (mode "bench"). */
public class JScore {
    static List<String[]> readCsv(String path) throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(path))) rows.add(line.split(",", -1));
        return rows;
    }

    static String fmt(Object v) {
        if (v == null) return "";
        if (v instanceof Collection) return String.valueOf(v).replace(",", ";");
        return String.valueOf(v);
    }

    public static void main(String[] a) throws Exception {
        String mode = a[0], model = a[1], input = a[2];
        long t0 = System.nanoTime();
        Evaluator ev = new LoadingModelEvaluatorBuilder().load(new File(model)).build();
        ev.verify();
        long loadNs = System.nanoTime() - t0;
        List<String[]> rows = readCsv(input);
        String[] header = rows.get(0);
        List<? extends InputField> inputs = ev.getInputFields();
        List<Map<String, FieldValue>> prepared = new ArrayList<>();
        List<String> prepErrors = new ArrayList<>();
        for (int r = 1; r < rows.size(); r++) {
            String[] row = rows.get(r);
            Map<String, FieldValue> args = new LinkedHashMap<>();
            String err = null;
            for (InputField f : inputs) {
                int i = Arrays.asList(header).indexOf(f.getName());
                String raw = (i >= 0 && i < row.length && !row[i].isEmpty()) ? row[i] : null;
                try { args.put(f.getName(), f.prepare(raw)); } catch (Exception e) { err = e.getClass().getSimpleName() + ": " + e.getMessage(); }
            }
            prepared.add(args);
            prepErrors.add(err);
        }
        if (mode.equals("score")) {
            List<String> cols = new ArrayList<>();
            for (TargetField t : ev.getTargetFields()) cols.add(t.getName());
            for (OutputField o : ev.getOutputFields()) cols.add(o.getName());
            StringBuilder sb = new StringBuilder(String.join(",", cols) + ",__error__\n");
            for (int r = 0; r < prepared.size(); r++) {
                String err = prepErrors.get(r);
                Map<String, ?> res = null;
                if (err == null) {
                    try { res = EvaluatorUtil.decodeAll(ev.evaluate(prepared.get(r))); }
                    catch (Exception e) { err = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace(",", ";").replace("\n", " "); }
                }
                List<String> out = new ArrayList<>();
                for (String c : cols) out.add(res == null ? "" : fmt(res.get(c)));
                out.add(err == null ? "" : err);
                sb.append(String.join(",", out)).append('\n');
            }
            System.out.print(sb);
            return;
        }
        // bench: warm-up then timed round-robin over prepared rows; per-record latency percentiles.
        double warm = Double.parseDouble(a.length > 3 ? a[3] : "2"), run = Double.parseDouble(a.length > 4 ? a[4] : "5");
        List<Map<String, FieldValue>> ok = new ArrayList<>();
        for (int r = 0; r < prepared.size(); r++) if (prepErrors.get(r) == null) ok.add(prepared.get(r));
        long sink = 0;
        long end = System.nanoTime() + (long)(warm * 1e9);
        int i = 0;
        while (System.nanoTime() < end) {
            try { sink += EvaluatorUtil.decodeAll(ev.evaluate(ok.get(i))).size(); } catch (Exception e) { sink++; }
            i = (i + 1) % ok.size();
        }
        long[] lat = new long[1 << 22];
        int n = 0;
        long start = System.nanoTime();
        end = start + (long)(run * 1e9);
        long now = start;
        while (now < end) {
            long s = System.nanoTime();
            try { sink += EvaluatorUtil.decodeAll(ev.evaluate(ok.get(i))).size(); } catch (Exception e) { sink++; }
            now = System.nanoTime();
            if (n < lat.length) lat[n] = now - s;
            n++;
            i = (i + 1) % ok.size();
        }
        double secs = (now - start) / 1e9;
        long[] l = Arrays.copyOf(lat, Math.min(n, lat.length));
        Arrays.sort(l);
        // median of 5 warm loads
        long[] loads = new long[5];
        for (int k = 0; k < 5; k++) {
            long s = System.nanoTime();
            Evaluator e2 = new LoadingModelEvaluatorBuilder().load(new File(model)).build();
            e2.verify();
            loads[k] = System.nanoTime() - s;
        }
        Arrays.sort(loads);
        System.out.printf(Locale.ROOT, "%s rows_per_s=%.0f p50_us=%.2f p99_us=%.2f load_ms=%.2f first_load_ms=%.1f sink=%d%n",
            Paths.get(model).getParent().getFileName(), n / secs, l[l.length / 2] / 1e3, l[(int)(l.length * 0.99)] / 1e3,
            loads[2] / 1e6, loadNs / 1e6, sink % 10);
    }
}
