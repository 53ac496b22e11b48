#include "format/internal/exec.h"

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "format/internal/functions.h"
#include "format/internal/gofmt.h"
#include "format/internal/text.h"

namespace berth::format::internal {
namespace {

enum class Flow { kNormal, kBreak, kContinue };

using ArgNodes = std::span<const NodePtr>;
using Idents = std::span<const std::string>;
// The value piped in from the previous command of a pipeline, if any.
using Final = std::optional<Value>;

const char* kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::kString:
      return "string";
    case ParamKind::kInt:
      return "int";
    case ParamKind::kStringSlice:
      return "[]string";
    default:
      return "interface {}";
  }
}

bool is_literal(const Node& n) {
  return n.kind == NodeKind::kBool || n.kind == NodeKind::kNumber || n.kind == NodeKind::kString;
}

class Executor {
 public:
  Executor(const Tree& tree, bool header, std::string& out)
      : tree_(tree), header_(header), out_(out) {}

  Status run(const json& dot) {
    Value d = Value::borrow(dot);
    vars_.push_back({"$", d});
    auto flow = walk(d, *tree_.root);
    if (!flow.ok()) return std::move(flow).error();
    return {};
  }

 private:
  struct Var {
    std::string name;
    Value value;
  };

  // Go's state.errorf: "template: :<line>:<col>: executing "" at <node>: <msg>".
  Error error(const std::string& msg) const {
    if (at_ == nullptr) return invalid_argument("template: : " + msg);
    std::string_view before = std::string_view(tree_.text).substr(0, at_->pos);
    size_t nl = before.rfind('\n');
    size_t col = nl == std::string_view::npos ? at_->pos : at_->pos - (nl + 1);
    size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    return invalid_argument("template: :" + std::to_string(line) + ":" + std::to_string(col) +
                            ": executing \"\" at <" + node_string(*at_) + ">: " + msg);
  }

  // ---- variables ----

  Result<Value> var_value(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->name == name) return it->value;
    return error("undefined variable: " + name);
  }

  Status set_var(const std::string& name, const Value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->name == name) {
        it->value = v;
        return {};
      }
    }
    return error("undefined variable: " + name);
  }

  void set_top_var(size_t n, const Value& v) { vars_[vars_.size() - n].value = v; }

  // ---- statements ----

  Result<Flow> walk(const Value& dot, const Node& node) {
    switch (node.kind) {
      case NodeKind::kAction: {
        const auto& action = static_cast<const ActionNode&>(node);
        BERTH_ASSIGN_OR_RETURN(Value v, eval_pipeline(dot, *action.pipe));
        if (action.pipe->decl.empty()) {
          at_ = &node;
          out_ += v.valid() ? sprint_value(v.get()) : "<no value>";
        }
        return Flow::kNormal;
      }
      case NodeKind::kBreak:
        return Flow::kBreak;
      case NodeKind::kContinue:
        return Flow::kContinue;
      case NodeKind::kIf:
      case NodeKind::kWith:
        return walk_if_or_with(dot, static_cast<const BranchNode&>(node));
      case NodeKind::kRange:
        return walk_range(dot, static_cast<const BranchNode&>(node));
      case NodeKind::kList:
        for (const auto& n : static_cast<const ListNode&>(node).nodes) {
          BERTH_ASSIGN_OR_RETURN(Flow flow, walk(dot, *n));
          if (flow != Flow::kNormal) return flow;
        }
        return Flow::kNormal;
      case NodeKind::kText:
        out_ += static_cast<const TextNode&>(node).text;
        return Flow::kNormal;
      default:
        return error("unknown node: " + node_string(node));
    }
  }

  Result<Flow> walk_if_or_with(const Value& dot, const BranchNode& b) {
    size_t mark = vars_.size();
    BERTH_ASSIGN_OR_RETURN(Value v, eval_pipeline(dot, *b.pipe));
    Result<Flow> flow = Flow::kNormal;
    if (truth(v)) {
      flow = walk(b.kind == NodeKind::kWith ? v : dot, *b.list);
    } else if (b.else_list) {
      flow = walk(dot, *b.else_list);
    }
    vars_.resize(mark);
    return flow;
  }

  // One pass of a range body with the loop variables bound; body variables are dropped after.
  Result<Flow> range_iteration(const BranchNode& b, size_t mark, const Value& index,
                               const Value& elem) {
    const auto& decl = b.pipe->decl;
    if (!decl.empty()) {
      if (b.pipe->is_assign) {
        BERTH_TRY(set_var(decl[0]->idents[0], decl.size() > 1 ? index : elem));
      } else {
        set_top_var(1, elem);
      }
    }
    if (decl.size() > 1) {
      if (b.pipe->is_assign) {
        BERTH_TRY(set_var(decl[1]->idents[0], elem));
      } else {
        set_top_var(2, index);
      }
    }
    auto flow = walk(elem, *b.list);
    vars_.resize(mark);
    return flow;
  }

  Result<Flow> walk_range(const Value& dot, const BranchNode& b) {
    at_ = &b;
    size_t outer_mark = vars_.size();
    BERTH_ASSIGN_OR_RETURN(Value v, eval_pipeline(dot, *b.pipe));
    size_t mark = vars_.size();
    bool ran = false;
    auto step = [&](const Value& index, const Value& elem) -> Result<bool> {
      ran = true;
      BERTH_ASSIGN_OR_RETURN(Flow flow, range_iteration(b, mark, index, elem));
      return flow != Flow::kBreak;
    };
    // Like a typed nil slice or map in Go, null ranges over nothing.
    const json* j = v.valid() ? &v.get() : nullptr;
    if (j && j->is_array()) {
      for (size_t i = 0; i < j->size(); ++i) {
        BERTH_ASSIGN_OR_RETURN(bool more, step(Value::own(i), v.child((*j)[i])));
        if (!more) break;
      }
    } else if (j && j->is_object()) {
      for (const auto& [key, elem] : j->items()) {  // sorted keys, as Go sorts map keys
        BERTH_ASSIGN_OR_RETURN(bool more, step(Value::own(key), v.child(elem)));
        if (!more) break;
      }
    } else if (j && j->is_number() && as_int(*j)) {
      if (b.pipe->decl.size() > 1)
        return error("can't use " + sprint_value(*j) + " to iterate over more than one variable");
      for (int64_t i = 0; i < *as_int(*j); ++i) {
        BERTH_ASSIGN_OR_RETURN(bool more, step(Value::own(i), Value::own(i)));
        if (!more) break;
      }
    } else if (j && !j->is_null()) {
      return error("range can't iterate over " + sprint_value(*j));
    }
    Result<Flow> flow = Flow::kNormal;
    if (!ran && b.else_list) flow = walk(dot, *b.else_list);
    vars_.resize(outer_mark);
    return flow;
  }

  // ---- expressions ----

  Result<Value> eval_pipeline(const Value& dot, const PipeNode& pipe) {
    at_ = &pipe;
    Final value;
    for (const auto& cmd : pipe.cmds) {
      BERTH_ASSIGN_OR_RETURN(Value v, eval_command(dot, *cmd, value));
      value = std::move(v);
    }
    Value result = value.value_or(Value());
    for (const auto& var : pipe.decl) {
      if (pipe.is_assign) {
        BERTH_TRY(set_var(var->idents[0], result));
      } else {
        vars_.push_back({var->idents[0], result});
      }
    }
    return result;
  }

  Status not_a_function(ArgNodes args, const Final& final) const {
    if (args.size() > 1 || final)
      return error("can't give argument to non-function " + node_string(*args[0]));
    return {};
  }

  static Value constant(const NumberNode& n) {
    return n.is_float ? Value::own(n.float_value) : Value::own(n.int_value);
  }

  Result<Value> eval_command(const Value& dot, const CommandNode& cmd, const Final& final) {
    const Node& first = *cmd.args[0];
    ArgNodes args(cmd.args);
    switch (first.kind) {
      case NodeKind::kField:
        return eval_field_node(dot, static_cast<const FieldNode&>(first), args, final);
      case NodeKind::kChain:
        return eval_chain_node(dot, static_cast<const ChainNode&>(first), args, final);
      case NodeKind::kIdentifier:
        return eval_function(dot, static_cast<const IdentifierNode&>(first), cmd, args, final);
      case NodeKind::kPipe:
        BERTH_TRY(not_a_function(args, final));
        return eval_pipeline(dot, static_cast<const PipeNode&>(first));
      case NodeKind::kVariable:
        return eval_variable_node(dot, static_cast<const VariableNode&>(first), args, final);
      default:
        break;
    }
    at_ = &first;
    BERTH_TRY(not_a_function(args, final));
    switch (first.kind) {
      case NodeKind::kBool:
        return Value::own(static_cast<const BoolNode&>(first).value);
      case NodeKind::kDot:
        return dot;
      case NodeKind::kNil:
        return error("nil is not a command");
      case NodeKind::kNumber:
        return constant(static_cast<const NumberNode&>(first));
      case NodeKind::kString:
        return Value::own(static_cast<const StringNode&>(first).text);
      default:
        return error("can't evaluate command " + go_quote(node_string(first)));
    }
  }

  Result<Value> eval_field_node(const Value& dot, const FieldNode& field, ArgNodes args,
                                const Final& final) {
    at_ = &field;
    return eval_field_chain(dot, field.idents, args, final);
  }

  Result<Value> eval_chain_node(const Value& dot, const ChainNode& chain, ArgNodes args,
                                const Final& final) {
    at_ = &chain;
    if (chain.node->kind == NodeKind::kNil)
      return error("indirection through explicit nil in " + node_string(chain));
    BERTH_ASSIGN_OR_RETURN(Value receiver, eval_arg(dot, ParamKind::kValue, *chain.node));
    return eval_field_chain(receiver, chain.fields, args, final);
  }

  Result<Value> eval_variable_node(const Value& dot, const VariableNode& var, ArgNodes args,
                                   const Final& final) {
    at_ = &var;
    BERTH_ASSIGN_OR_RETURN(Value value, var_value(var.idents[0]));
    if (var.idents.size() == 1) {
      BERTH_TRY(not_a_function(args, final));
      return value;
    }
    return eval_field_chain(value, Idents(var.idents).subspan(1), args, final);
  }

  // .A.B.C: every field but the last is looked up without arguments.
  Result<Value> eval_field_chain(Value receiver, Idents idents, ArgNodes args, const Final& final) {
    for (size_t i = 0; i + 1 < idents.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(receiver, eval_field(idents[i], {}, std::nullopt, receiver));
    }
    return eval_field(idents.back(), args, final, receiver);
  }

  Result<Value> eval_field(const std::string& name, ArgNodes args, const Final& final,
                           const Value& receiver) {
    if (!receiver.valid()) return Value();  // fields of a missing value are missing too
    const json& j = receiver.get();
    if (j.is_object()) {
      if (args.size() > 1 || final) return error(name + " is not a method but has arguments");
      auto it = j.find(name);
      return it == j.end() ? Value() : receiver.child(*it);
    }
    if (j.is_null()) return error("nil pointer evaluating interface {}." + name);
    return error("can't evaluate field " + name + " in type " + type_name(j));
  }

  Result<Value> eval_function(const Value& dot, const IdentifierNode& ident, const Node& cmd,
                              ArgNodes args, const Final& final) {
    at_ = &ident;
    const FuncSpec* spec = find_function(ident.name, header_);
    if (spec == nullptr) return error(go_quote(ident.name) + " is not a defined function");
    return eval_call(dot, *spec, cmd, ident.name, args.empty() ? args : args.subspan(1), final);
  }

  static ParamKind param_kind(const FuncSpec& spec, size_t i) {
    return i < spec.params.size() ? spec.params[i] : spec.params.back();
  }

  Status check_arity(const FuncSpec& spec, const std::string& name, size_t given,
                     size_t num_in) const {
    size_t want = spec.params.size();
    if (spec.variadic && num_in < want - 1)
      return error("wrong number of args for " + name + ": want at least " +
                   std::to_string(want - 1) + " got " + std::to_string(given));
    if (!spec.variadic && num_in != want)
      return error("wrong number of args for " + name + ": want " + std::to_string(want) + " got " +
                   std::to_string(num_in));
    return {};
  }

  Result<Value> eval_call(const Value& dot, const FuncSpec& spec, const Node& cmd,
                          const std::string& name, ArgNodes args, const Final& final) {
    BERTH_TRY(check_arity(spec, name, args.size(), args.size() + (final ? 1 : 0)));
    if (spec.short_circuit) {  // and/or stop at the first argument that decides the result
      bool is_or = name == "or";
      Value v;
      for (const auto& arg : args) {
        BERTH_ASSIGN_OR_RETURN(v, eval_arg(dot, ParamKind::kValue, *arg));
        if (truth(v) == is_or) return v;
      }
      return final ? *final : v;
    }
    std::vector<Value> argv;
    for (size_t i = 0; i < args.size(); ++i) {
      BERTH_ASSIGN_OR_RETURN(Value v, eval_arg(dot, param_kind(spec, i), *args[i]));
      argv.push_back(std::move(v));
    }
    if (final) {
      BERTH_ASSIGN_OR_RETURN(Value v, validate(*final, param_kind(spec, args.size())));
      argv.push_back(std::move(v));
    }
    auto result = spec.call(argv);
    if (!result.ok()) {
      at_ = &cmd;
      return error("error calling " + name + ": " + result.error().message());
    }
    return result;
  }

  Result<Value> eval_arg(const Value& dot, ParamKind kind, const Node& n) {
    at_ = &n;
    Result<Value> v = Value();
    switch (n.kind) {
      case NodeKind::kDot:
        v = dot;
        break;
      case NodeKind::kNil:
        if (kind == ParamKind::kString || kind == ParamKind::kInt)
          return error(std::string("cannot assign nil to ") + kind_name(kind));
        return kind == ParamKind::kValue ? Value() : Value::own(nullptr);
      case NodeKind::kField:
        v = eval_field_node(dot, static_cast<const FieldNode&>(n), {}, std::nullopt);
        break;
      case NodeKind::kVariable:
        v = eval_variable_node(dot, static_cast<const VariableNode&>(n), {}, std::nullopt);
        break;
      case NodeKind::kPipe:
        v = eval_pipeline(dot, static_cast<const PipeNode&>(n));
        break;
      case NodeKind::kIdentifier:
        v = eval_function(dot, static_cast<const IdentifierNode&>(n), n, {}, std::nullopt);
        break;
      case NodeKind::kChain:
        v = eval_chain_node(dot, static_cast<const ChainNode&>(n), {}, std::nullopt);
        break;
      case NodeKind::kBool:
        v = Value::own(static_cast<const BoolNode&>(n).value);
        break;
      case NodeKind::kNumber:
        v = constant(static_cast<const NumberNode&>(n));
        break;
      case NodeKind::kString:
        v = Value::own(static_cast<const StringNode&>(n).text);
        break;
      default:
        return error("can't handle " + node_string(n) + " for arg of type " + kind_name(kind));
    }
    if (!v.ok()) return v;
    auto checked = validate(*v, kind);
    if (!checked.ok() && is_literal(n)) {
      at_ = &n;
      if (kind == ParamKind::kStringSlice)
        return error("can't handle " + node_string(n) + " for arg of type " + kind_name(kind));
      std::string expected = kind == ParamKind::kInt ? "integer" : kind_name(kind);
      return error("expected " + expected + "; found " + node_string(n));
    }
    return checked;
  }

  // Converts an argument to what the Go parameter type would accept.
  Result<Value> validate(const Value& v, ParamKind kind) const {
    if (!v.valid()) {
      if (kind == ParamKind::kValue) return v;
      if (kind == ParamKind::kAny || kind == ParamKind::kStringSlice) return Value::own(nullptr);
      return error(std::string("invalid value; expected ") + kind_name(kind));
    }
    const json& j = v.get();
    bool ok = true;
    switch (kind) {
      case ParamKind::kString:
        ok = j.is_string();
        break;
      case ParamKind::kInt:
        if (auto i = as_int(j); i && j.is_number()) return Value::own(*i);
        ok = false;
        break;
      case ParamKind::kStringSlice:
        ok = j.is_null() || j.is_array();
        if (j.is_array())
          for (const auto& el : j) ok = ok && el.is_string();
        break;
      default:
        break;
    }
    if (!ok)
      return error(std::string("wrong type for value; expected ") + kind_name(kind) + "; got " +
                   type_name(j));
    return v;
  }

  const Tree& tree_;
  bool header_;
  std::string& out_;
  std::vector<Var> vars_;
  const Node* at_ = nullptr;
};

}  // namespace

Status execute_tree(const Tree& tree, const json& dot, bool header_functions, std::string& out) {
  return Executor(tree, header_functions, out).run(dot);
}

}  // namespace berth::format::internal
