// Compression codecs for record batches (liblz4 frame format, zlib gzip). Filled in by the records work.
import CLZ4
import CZlib

