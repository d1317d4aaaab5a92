#include "core/memory.h"

#include "core/digest.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace berth {

void shed_startup_memory() {
  unload_crypto();
  // Read /proc/self/smaps with stdio into a fixed buffer: no allocation while we walk our own mappings.
  FILE* smaps = std::fopen("/proc/self/smaps", "re");
  if (smaps) {
    char line[512];
    unsigned long start = 0, end = 0;
    bool candidate = false;
    while (std::fgets(line, sizeof line, smaps)) {
      unsigned long a = 0, b = 0;
      char permissions[8] = {};
      unsigned long offset = 0, inode = 0;
      char device[16] = {};
      if (std::sscanf(line, "%lx-%lx %7s %lx %15s %lu", &a, &b, permissions, &offset, device, &inode) == 6) {
        start = a;
        end = b;
        // Private, not writable, backed by a file (inode != 0). Writable mappings hold state; shared ones are not
        // ours to drop.
        candidate = inode != 0 && permissions[1] == '-' && permissions[3] == 'p';
        continue;
      }
      // Relocated read-only data (RELRO) is private anonymous memory under a file mapping: dropping it would bring
      // back the unrelocated bytes. Only mappings with no anonymous pages are dropped.
      unsigned long anonymous = 0;
      if (candidate && std::sscanf(line, "Anonymous: %lu kB", &anonymous) == 1) {
        if (anonymous == 0) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
        candidate = false;
      }
    }
    std::fclose(smaps);
  }
  ::malloc_trim(0);
}

}  // namespace berth
