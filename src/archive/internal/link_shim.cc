// Keeps libarchive's write-format table out of the link.
//
// berth links libarchive statically and writes pax tar only. In libarchive 3.6 the pax writer
// calls an internal helper, __archive_write_entry_filetype_unsupported, that lives in the same
// object as the table of every write format, so using pax would pull in the xar, 7zip and ISO
// writers and with them libxml2 and ICU, loaded at every berth start (~9 ms). This definition
// answers that reference first; it does what the original does: refuse the entry, say why.
#include <archive.h>
#include <archive_entry.h>

#include <cerrno>

// libarchive's ARCHIVE_ERRNO_FILE_FORMAT (its private header): EFTYPE where defined, else EINVAL.
constexpr int EFTYPE_UNSUPPORTED = EINVAL;

extern "C" int __archive_write_entry_filetype_unsupported(struct archive* a,
                                                          struct archive_entry* entry,
                                                          const char* format) {
  archive_set_error(a, EFTYPE_UNSUPPORTED, "%s: %s format cannot archive files with mode 0%lo",
                    archive_entry_pathname(entry), format,
                    static_cast<unsigned long>(archive_entry_mode(entry)));
  return ARCHIVE_FAILED;
}
