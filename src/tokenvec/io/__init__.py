"""Files in and out: readers and writers for every format tokenvec opens (each compiled scanner
beside its reader), Hugging Face model folders, and atomic files. Readers return plain parts
(keys, arrays, metadata); :mod:`tokenvec.vectors` builds vectors from them."""
