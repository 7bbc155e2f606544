package dev.blocklift.convert;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a garbage collection found and did.
 *
 * @param manifests manifests marked from
 * @param referenced distinct chunks they reference
 * @param listed chunks in the store
 * @param young unreferenced chunks spared because they are younger than the grace period
 * @param swept unreferenced chunks deleted (or, in a dry run, that would be)
 * @param bytesSwept their bytes
 * @param missing referenced chunks that are not in the store (run {@code verify})
 * @param dryRun true if nothing was deleted
 * @param leftoversRemoved files that killed or crashed writers left behind and that were removed:
 *     temporary chunk files of the local store, flattened devices in the scratch directory
 */
public record GcResult(
    int manifests,
    long referenced,
    long listed,
    long young,
    long swept,
    long bytesSwept,
    long missing,
    boolean dryRun,
    long leftoversRemoved) {
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("manifests", manifests);
    m.put("referenced", referenced);
    m.put("listed", listed);
    m.put("young", young);
    m.put(dryRun ? "wouldSweep" : "swept", swept);
    m.put("bytesSwept", bytesSwept);
    m.put("missing", missing);
    m.put("dryRun", dryRun);
    m.put("leftoversRemoved", leftoversRemoved);
    return m;
  }
}
