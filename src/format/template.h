// Go text/template for `--format`, with Docker's template functions, over JSON data.
//
// Callers turn their records into JSON objects keyed by Docker's Go field names
// ({"Repository": .., "Tag": ..}) and execute the user's template against them:
//
//   BERTH_ASSIGN_OR_RETURN(auto tmpl, format::Template::parse("{{.Repository}}:{{.Tag}}"));
//   BERTH_ASSIGN_OR_RETURN(std::string line, tmpl.execute(row));
//
// Language: text and {{actions}}, {{- -}} trimming, {{/* comments */}}, .Field.Chains, $ and
// variables ($x := .., $x = ..), if / else if / else, with / else with / else, range (arrays,
// objects in sorted key order, integers; `range $i, $v := ..`; else; break; continue), pipelines,
// parenthesised pipelines, "strings", `raw strings`, 'c' runes, numbers, true/false, nil.
// Not supported (a parse error says so): define/template/block, complex constants, and nesting of
// parentheses or control structures deeper than 1000 ("max expression depth exceeded").
//
// Functions: and or not eq ne lt le gt ge len index slice print printf println html js urlquery
// (Go's builtins) and json split join title lower upper pad truncate (Docker's). Unknown names fail
// to parse: `template: :1: function "foo" not defined`.
//
// Values follow Go's rules for map[string]interface{} data, with these JSON adaptations:
//   - a missing key yields Go's "no value": printed `<no value>`, false in if, and its own fields
//     are missing too; a field of a non-object is an error ("can't evaluate field X in type
//     string")
//   - null prints `<nil>`, is false, ranges over nothing, has len 0, and `index null "k"` is "";
//     `index` of a key an object lacks gives "" when the object holds only strings (Docker's typed
//     label maps), else no value
//   - integers, and floats with integral values, print as integers; other floats as Go's %v
//   - numbers compare by value whatever their JSON type (Go would refuse int vs float64), and
//     printf's float verbs (%f %e %g) accept integers
//   - join takes an array of strings (Go's []string); the field type in "can't evaluate field"
//     errors is the JSON value's (string, int, []interface {}), not Go's interface {}
//   - `json` is Docker's: Go's encoder without HTML escaping, object keys sorted
//   - lower/upper/title map ASCII, Latin-1, Greek and Cyrillic letters only
//
// Errors (Code::kInvalidArgument) read as Go's do:
//   parse:   `template: :1: unexpected "}" in operand`, `template: :1: unclosed action`
//   execute: `template: :1:6: executing "" at <.Foo.Bar>: can't evaluate field Bar in type string`
//
// A Template is immutable after parse and safe to execute from several threads at once.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::format {

namespace internal {
struct Tree;
}

struct ExecOptions {
  // Docker's HeaderFunctions: json, split, join, title, lower, upper and truncate return their
  // first argument unchanged, so that a table header shows the column titles as given.
  bool header_functions = false;
};

class Template {
 public:
  static Result<Template> parse(std::string_view text);

  Result<std::string> execute(const nlohmann::json& dot) const;

  // Appends the output to `out`. On error `out` keeps the output written before the failure, as a
  // Go io.Writer would (Docker prints a table header that way).
  Status execute_into(const nlohmann::json& dot, std::string& out,
                      const ExecOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const internal::Tree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const internal::Tree> tree_;
};

}  // namespace berth::format
