// `images` / `image ls` and `history`.
#include <ctime>
#include <set>

#include "cli/commands/commands.h"
#include "format/units.h"

namespace berth::cli {

std::string created_since(int64_t unix_nanos) {
  if (unix_nanos <= 0) return "N/A";
  return format::time_ago(unix_nanos / 1000000000, std::time(nullptr));
}

namespace {

struct ImagesOpts {
  bool all = false, quiet = false, digests = false, no_trunc = false;
  std::vector<std::string> filters;
  std::string format;
  std::string reference;
};

std::string shown_id(const std::string& id, bool no_trunc) {
  return no_trunc ? id : id.substr(7, 12);
}

void run_images(Cli& cli, const ImagesOpts& o) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto list = (*eng)->list_images({o.all, o.filters, o.reference});
  if (!list.ok()) return cli.fail(list.error());
  if (o.quiet && o.format.empty()) {
    // Unlike Docker, each id is printed once even when the image has several tags, so
    // `berth rmi $(berth images -q)` names every image once.
    std::set<std::string> seen;
    for (const auto& r : list->rows) {
      std::string id = shown_id(r.image->id, o.no_trunc);
      if (seen.insert(id).second) cli.out << id << "\n";
    }
    return;
  }
  std::vector<nlohmann::json> rows;
  for (const auto& r : list->rows) {
    nlohmann::json j;
    j["ID"] = shown_id(r.image->id, o.no_trunc);
    j["Repository"] = r.repository;
    j["Tag"] = r.tag;
    j["Digest"] = r.digest;
    j["CreatedSince"] = created_since(r.image->created);
    j["CreatedAt"] = format::format_local_created(r.image->created / 1000000000);
    j["Size"] = format::human_size(static_cast<double>(r.image->size));
    j["VirtualSize"] = j["Size"];
    j["SharedSize"] = "N/A";
    j["UniqueSize"] = "N/A";
    j["Containers"] = "N/A";
    rows.push_back(std::move(j));
  }
  std::string def = o.digests
      ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
      : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  cli.print_list(o.format, def,
                 {{"ID", "IMAGE ID"}, {"Repository", "REPOSITORY"}, {"Tag", "TAG"},
                  {"Digest", "DIGEST"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"},
                  {"Size", "SIZE"}, {"VirtualSize", "VIRTUAL SIZE"}, {"SharedSize", "SHARED SIZE"},
                  {"UniqueSize", "UNIQUE SIZE"}, {"Containers", "CONTAINERS"}},
                 rows);
}

struct HistoryOpts {
  std::string image, format;
  bool no_trunc = false, quiet = false;
  std::string human = "true";
};

// Docker shortens CREATED BY to 45 display columns with a trailing ellipsis.
std::string ellipsis(const std::string& s, size_t width) {
  std::vector<size_t> starts;  // byte offset of each UTF-8 code point
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  if (starts.size() <= width) return s;
  return s.substr(0, starts[width - 1]) + "…";
}

void run_history(Cli& cli, const HistoryOpts& o) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto hist = (*eng)->history(o.image);
  if (!hist.ok()) return cli.fail(hist.error());
  bool human = o.human != "false";
  std::vector<nlohmann::json> rows;
  for (const auto& h : *hist) {
    std::string id = h.id == "<missing>" ? h.id : shown_id(h.id, o.no_trunc);
    if (o.quiet) {
      cli.out << id << "\n";
      continue;
    }
    nlohmann::json j;
    j["ID"] = id;
    j["CreatedSince"] = human ? created_since(h.created)
                              : format::format_rfc3339_nano(h.created);
    j["CreatedAt"] = format::format_rfc3339_nano(h.created);
    std::string by = h.created_by;
    for (auto& c : by)
      if (c == '\t') c = ' ';
    j["CreatedBy"] = o.no_trunc ? by : ellipsis(by, 45);
    j["Size"] = human ? format::human_size(static_cast<double>(h.size)) : std::to_string(h.size);
    j["Comment"] = h.comment;
    rows.push_back(std::move(j));
  }
  if (o.quiet) return;
  cli.print_list(o.format,
                 "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                 {{"ID", "IMAGE"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"},
                  {"CreatedBy", "CREATED BY"}, {"Size", "SIZE"}, {"Comment", "COMMENT"}},
                 rows);
}

}  // namespace

void add_images(CLI::App* parent, const std::string& name, Cli& cli) {
  auto o = std::make_shared<ImagesOpts>();
  auto* c = parent->add_subcommand(name, "List images");
  c->add_flag("-a,--all", o->all, "Show all images (default hides intermediate images)");
  c->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
  c->add_flag("--digests", o->digests, "Show digests");
  c->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  c->add_option("-f,--filter", o->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  c->add_option("--format", o->format, "Format output using a custom template");
  c->add_option("REPOSITORY", o->reference, "REPOSITORY[:TAG]");
  c->callback([&cli, o] { run_images(cli, *o); });
  if (name == "ls") c->alias("list");
}

void add_history(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<HistoryOpts>();
  auto* c = parent->add_subcommand("history", "Show the history of an image");
  c->add_option("-H,--human", o->human, "Print sizes and dates in human readable format")
      ->default_str("true")
      ->expected(0, 1);
  c->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  c->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
  c->add_option("--format", o->format, "Format output using a custom template");
  c->add_option("IMAGE", o->image, "Image")->required();
  c->callback([&cli, o] { run_history(cli, *o); });
}

}  // namespace berth::cli
