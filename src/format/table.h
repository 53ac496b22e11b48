// Output of list commands (`images`, `ps`, `volume ls`, ...) exactly as Docker's CLI formatter
// prints it, and the tab-stop aligner it uses.
//
//   format::ListFormat images{
//       .default_format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
//       .headers = {{"Repository", "REPOSITORY"}, {"Tag", "TAG"}, {"ID", "IMAGE ID"},
//                   {"CreatedSince", "CREATED"}, {"Size", "SIZE"}}};
//   BERTH_ASSIGN_OR_RETURN(std::string out, format::render_list(user_format, images, rows));
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::format {

// Go's text/tabwriter (Docker's copy of it) configuration. The defaults are Docker's:
// tabwriter.NewWriter(out, 10, 1, 3, ' ', 0).
struct TabwriterOptions {
  size_t min_width = 10;  // minimal cell width, padding included
  size_t tab_width = 1;   // width of a tab when padding with tabs
  size_t padding = 3;     // added to the widest cell of a column
  char pad_char = ' ';    // '\t' pads with tabs (and forces left alignment)
  bool align_right = false;
  bool discard_empty_columns = false;  // drop columns made only of empty '\v'-terminated cells
  bool tab_indent = false;             // pad leading empty cells with tabs
};

// Aligns tab-terminated cells into columns with the elastic tab stops of Go's text/tabwriter:
// cells are terminated by '\t' (or '\v'); the text after a line's last tab is not part of a column
// and is not padded; a column is a run of adjacent lines that all have a cell in it, so a line
// with fewer cells (such as one with no tab) ends the columns to its right. '\f' ends a line and
// all columns. Widths count display cells: East Asian wide characters as 2. Go's escape
// character 0xff is not interpreted.
std::string tabwrite(std::string_view text, const TabwriterOptions& options = {});

// A list command's formats, as in Docker's formatter.Context.
struct ListFormat {
  std::string default_format;                  // used when the user's format is "" or "table"
  std::map<std::string, std::string> headers;  // field name -> column title
};

// Renders `rows` with the user's --format the way Docker does:
//   - "table ..." : the rest is the template. A header line (the template run on `headers`, with
//     Docker's header functions; unknown fields show "<no value>"; an error just cuts the header
//     short) is printed first, even with no rows, then one line per row, all aligned by tabwrite;
//   - "json"      : each row as `{{json .}}`, one per line;
//   - anything else: the template per row, each followed by a newline, no header, no alignment.
// Before parsing, surrounding spaces are trimmed and the two-character sequences `\t` and `\n`
// become a tab and a newline, so shells can pass them. Errors carry Docker's prefix:
// "template parsing error: template: :1: unclosed action".
Result<std::string> render_list(std::string_view user_format, const ListFormat& spec,
                                const std::vector<nlohmann::json>& rows);

}  // namespace berth::format
