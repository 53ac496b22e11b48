#include "format/table.h"

#include <algorithm>

#include "format/internal/text.h"
#include "format/template.h"

namespace berth::format {
namespace {

constexpr std::string_view kTableKey = "table";
constexpr std::string_view kJsonKey = "json";

// Go's tabwriter algorithm: cells are buffered per line; a column block is formatted once every
// line that can affect it has been seen, recursing into the columns to its right.
class TabWriter {
 public:
  explicit TabWriter(const TabwriterOptions& options) : o_(options) {
    if (o_.pad_char == '\t') o_.align_right = false;
  }

  std::string run(std::string_view text) {
    for (char c : text) {
      switch (c) {
        case '\t':
        case '\v':
          terminate_cell(c == '\t');
          break;
        case '\n':
        case '\f': {
          size_t cells = terminate_cell(false);
          lines_.emplace_back();
          // A line of one cell cannot widen any column, so everything before it is final.
          if (c == '\f' || cells == 1) flush();
          break;
        }
        default:
          cell_ += c;
      }
    }
    if (!cell_.empty()) terminate_cell(false);
    flush();
    return std::move(out_);
  }

 private:
  struct Cell {
    std::string text;
    size_t width;
    bool htab;
  };

  size_t terminate_cell(bool htab) {
    lines_.back().push_back(Cell{cell_, internal::display_width(cell_), htab});
    cell_.clear();
    return lines_.back().size();
  }

  void flush() {
    format(0, lines_.size());
    lines_.assign(1, {});
    widths_.clear();
  }

  void write_padding(size_t text_width, size_t cell_width, bool use_tabs) {
    if (o_.pad_char == '\t' || use_tabs) {
      if (o_.tab_width == 0) return;
      cell_width = (cell_width + o_.tab_width - 1) / o_.tab_width * o_.tab_width;
      size_t n = cell_width - text_width;
      out_.append((n + o_.tab_width - 1) / o_.tab_width, '\t');
      return;
    }
    out_.append(cell_width - text_width, o_.pad_char);
  }

  void write_lines(size_t line0, size_t line1) {
    for (size_t i = line0; i < line1; ++i) {
      bool use_tabs = o_.tab_indent;
      const auto& line = lines_[i];
      for (size_t j = 0; j < line.size(); ++j) {
        const Cell& c = line[j];
        bool padded = j < widths_.size();
        if (c.text.empty()) {
          if (padded) write_padding(c.width, widths_[j], use_tabs);
          continue;
        }
        use_tabs = false;
        if (o_.align_right && padded) write_padding(c.width, widths_[j], false);
        out_ += c.text;
        if (!o_.align_right && padded) write_padding(c.width, widths_[j], false);
      }
      if (i + 1 == lines_.size()) {
        out_ += cell_;
      } else {
        out_ += '\n';
      }
    }
  }

  void format(size_t line0, size_t line1) {
    size_t column = widths_.size();
    for (size_t t = line0; t < line1; ++t) {
      // The last cell of a line is not tab-terminated and belongs to no column.
      if (column + 1 >= lines_[t].size()) continue;
      write_lines(line0, t);
      line0 = t;
      size_t width = o_.min_width;
      bool discardable = true;
      for (; t < line1 && column + 1 < lines_[t].size(); ++t) {
        const Cell& c = lines_[t][column];
        width = std::max(width, c.width + o_.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && o_.discard_empty_columns) width = 0;
      widths_.push_back(width);
      format(line0, t);
      widths_.pop_back();
      line0 = t;
    }
    write_lines(line0, line1);
  }

  TabwriterOptions o_;
  std::vector<std::vector<Cell>> lines_{1};
  std::string cell_;
  std::vector<size_t> widths_;
  std::string out_;
};

// Docker's Context.preFormat: strip "table", map "json", trim spaces, expand `\t` and `\n`.
std::string prepare(std::string_view format, bool table, bool json) {
  if (table) {
    format.remove_prefix(kTableKey.size());
  } else if (json) {
    format = "{{json .}}";
  }
  while (!format.empty() && format.front() == ' ') format.remove_prefix(1);
  while (!format.empty() && format.back() == ' ') format.remove_suffix(1);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '\\' && i + 1 < format.size() &&
        (format[i + 1] == 't' || format[i + 1] == 'n')) {
      out += format[++i] == 't' ? '\t' : '\n';
    } else {
      out += format[i];
    }
  }
  return out;
}

}  // namespace

std::string tabwrite(std::string_view text, const TabwriterOptions& options) {
  return TabWriter(options).run(text);
}

Result<std::string> render_list(std::string_view user_format, const ListFormat& spec,
                                const std::vector<nlohmann::json>& rows) {
  std::string_view format = user_format;
  if (format.empty() || format == kTableKey) format = spec.default_format;
  bool table = format.starts_with(kTableKey);
  auto tmpl = Template::parse(prepare(format, table, format == kJsonKey));
  if (!tmpl.ok()) return std::move(tmpl).error().context("template parsing error");
  std::string body;
  for (const auto& row : rows) {
    BERTH_TRY_CTX(tmpl->execute_into(row, body), "template parsing error");
    body += '\n';
  }
  if (!table) return body;
  std::string text;
  // Docker ignores a failing header: whatever was written before the error stays.
  (void)tmpl->execute_into(nlohmann::json(spec.headers), text,
                           ExecOptions{.header_functions = true});
  text += '\n';
  text += body;
  return tabwrite(text);
}

}  // namespace berth::format
