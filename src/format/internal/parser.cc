#include "format/internal/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string>
#include <vector>

#include "format/internal/lexer.h"
#include "format/internal/text.h"

namespace berth::format::internal {
namespace {

template <typename T>
NodePtr as_node(std::unique_ptr<T> n) {
  return NodePtr(std::move(n));
}

std::vector<std::string> split_idents(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    out.emplace_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

bool contains_any(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

enum class IntParse { kOk, kSyntax, kOverflow };

// Go's strconv.ParseInt with base 0: 0x, 0o, 0b prefixes and a leading 0 for octal.
IntParse parse_go_int(std::string_view text, int64_t& out) {
  bool neg = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    neg = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 1 && text[0] == '0') {
    char b = static_cast<char>(text[1] | 0x20);
    base = b == 'x' ? 16 : b == 'b' ? 2 : 8;
    text.remove_prefix(b == 'x' || b == 'o' || b == 'b' ? 2 : 1);
  }
  uint64_t mag = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mag, base);
  if (text.empty() || end != text.data() + text.size()) return IntParse::kSyntax;
  uint64_t limit = neg ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
  if (ec == std::errc::result_out_of_range || mag > limit) return IntParse::kOverflow;
  out = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  return IntParse::kOk;
}

class Parser {
 public:
  Parser(std::string_view text, const std::function<bool(std::string_view)>& has_function)
      : items_(lex(text)), has_function_(has_function) {}

  Result<std::unique_ptr<ListNode>> parse() {
    auto root = std::make_unique<ListNode>(peek().pos);
    while (peek().type != ItemType::kEOF) {
      BERTH_ASSIGN_OR_RETURN(NodePtr n, text_or_action());
      if (n->kind == NodeKind::kEnd || n->kind == NodeKind::kElse)
        return error("unexpected " + node_string(*n));
      root->nodes.push_back(std::move(n));
    }
    return root;
  }

 private:
  // Item access with Go's look-ahead semantics. Reads never pass the final EOF/error item.
  const Item& item_at(size_t i) {
    i = std::min(i, items_.size() - 1);
    furthest_ = std::max(furthest_, i);
    return items_[i];
  }
  const Item& next() {
    const Item& it = item_at(i_);
    i_ = std::min(i_, items_.size() - 1) + 1;
    return it;
  }
  void backup() { --i_; }
  const Item& peek() { return item_at(i_); }
  const Item& next_non_space() {
    while (true) {
      const Item& it = next();
      if (it.type != ItemType::kSpace) return it;
    }
  }
  const Item& peek_non_space() {
    const Item& it = next_non_space();
    backup();
    return it;
  }

  // Go names the line of its furthest look-ahead token in parse errors; so do we.
  Error error(const std::string& msg) {
    return invalid_argument("template: :" + std::to_string(items_[furthest_].line) + ": " + msg);
  }

  Error unexpected(const Item& token, std::string_view context) {
    if (token.type != ItemType::kError)
      return error("unexpected " + item_string(token) + " in " + std::string(context));
    std::string extra;
    if (action_line_ != 0 && action_line_ != token.line) {
      extra = " in action started at :" + std::to_string(action_line_);
      if (token.val.ends_with(" action")) extra = extra.substr(std::string(" in action").size());
    }
    return error(token.val + extra);
  }

  Result<Item> expect(ItemType type, std::string_view context) {
    const Item& token = next_non_space();
    if (token.type != type) return unexpected(token, context);
    return token;
  }

  Result<NodePtr> text_or_action() {
    const Item& token = next_non_space();
    switch (token.type) {
      case ItemType::kText:
        return as_node(std::make_unique<TextNode>(token.pos, token.val));
      case ItemType::kLeftDelim: {
        action_line_ = token.line;
        auto n = action();
        action_line_ = 0;
        return n;
      }
      default:
        return unexpected(token, "input");
    }
  }

  Result<NodePtr> action() {
    const Item& token = next_non_space();
    switch (token.type) {
      case ItemType::kBlock:
      case ItemType::kDefine:
      case ItemType::kTemplate:
        return error("{{" + token.val + "}} is not supported");
      case ItemType::kBreak:
      case ItemType::kContinue:
        return loop_control(token);
      case ItemType::kElse:
        return else_control();
      case ItemType::kEnd: {
        BERTH_ASSIGN_OR_RETURN(Item end, expect(ItemType::kRightDelim, "end"));
        return std::make_unique<Node>(NodeKind::kEnd, end.pos);
      }
      case ItemType::kIf:
        return parse_control(NodeKind::kIf, "if");
      case ItemType::kRange:
        return parse_control(NodeKind::kRange, "range");
      case ItemType::kWith:
        return parse_control(NodeKind::kWith, "with");
      default:
        break;
    }
    backup();
    size_t pos = peek().pos;
    BERTH_ASSIGN_OR_RETURN(auto pipe, pipeline("command", ItemType::kRightDelim));
    return as_node(std::make_unique<ActionNode>(pos, std::move(pipe)));
  }

  Result<NodePtr> loop_control(const Item& keyword) {
    std::string name = "{{" + keyword.val + "}}";
    const Item& token = next_non_space();
    if (token.type != ItemType::kRightDelim) return unexpected(token, name);
    if (range_depth_ == 0) return error(name + " outside {{range}}");
    return std::make_unique<Node>(
        keyword.type == ItemType::kBreak ? NodeKind::kBreak : NodeKind::kContinue, keyword.pos);
  }

  // "{{else if" and "{{else with" leave the keyword pending for parse_control.
  Result<NodePtr> else_control() {
    const Item& peeked = peek_non_space();
    if (peeked.type == ItemType::kIf || peeked.type == ItemType::kWith)
      return std::make_unique<Node>(NodeKind::kElse, peeked.pos);
    BERTH_ASSIGN_OR_RETURN(Item token, expect(ItemType::kRightDelim, "else"));
    return std::make_unique<Node>(NodeKind::kElse, token.pos);
  }

  // Returns the list and the {{end}} or {{else}} node that closed it.
  Result<std::pair<std::unique_ptr<ListNode>, NodePtr>> item_list() {
    auto list = std::make_unique<ListNode>(peek_non_space().pos);
    while (peek_non_space().type != ItemType::kEOF) {
      BERTH_ASSIGN_OR_RETURN(NodePtr n, text_or_action());
      if (n->kind == NodeKind::kEnd || n->kind == NodeKind::kElse)
        return std::make_pair(std::move(list), std::move(n));
      list->nodes.push_back(std::move(n));
    }
    return error("unexpected EOF");
  }

  // Bounds the recursion of nested parentheses and control structures, so that hostile input
  // fails instead of exhausting the stack (Go limits parentheses the same way, at 10000).
  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(++d) {}
    ~DepthGuard() { --depth; }
    int& depth;
  };
  static constexpr int kMaxDepth = 1000;

  Result<NodePtr> parse_control(NodeKind kind, std::string_view context) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return error("max expression depth exceeded");
    size_t saved_vars = vars_.size();
    auto node = std::make_unique<BranchNode>(kind, 0);
    BERTH_ASSIGN_OR_RETURN(node->pipe, pipeline(context, ItemType::kRightDelim));
    node->pos = node->pipe->pos;
    if (kind == NodeKind::kRange) ++range_depth_;
    auto listed = item_list();
    if (kind == NodeKind::kRange) --range_depth_;
    if (!listed.ok()) return std::move(listed).error();
    node->list = std::move(listed->first);
    NodePtr closer = std::move(listed->second);
    if (closer->kind == NodeKind::kElse) {
      // {{if a}}_{{else if b}}_{{end}} is {{if a}}_{{else}}{{if b}}_{{end}}{{end}}.
      ItemType chained = peek().type;
      if ((kind == NodeKind::kIf && chained == ItemType::kIf) ||
          (kind == NodeKind::kWith && chained == ItemType::kWith)) {
        next();
        node->else_list = std::make_unique<ListNode>(closer->pos);
        BERTH_ASSIGN_OR_RETURN(NodePtr inner, parse_control(kind, context));
        node->else_list->nodes.push_back(std::move(inner));
      } else {
        BERTH_ASSIGN_OR_RETURN(auto else_listed, item_list());
        if (else_listed.second->kind != NodeKind::kEnd)
          return error("expected end; found " + node_string(*else_listed.second));
        node->else_list = std::move(else_listed.first);
      }
    }
    vars_.resize(saved_vars);
    return as_node(std::move(node));
  }

  // Declarations at the start of a pipeline: "$x :=", "$x =", "$i, $v :=" (range only).
  Status declarations(PipeNode& pipe, std::string_view context) {
    while (peek_non_space().type == ItemType::kVariable) {
      size_t mark = i_;
      const Item& var = next_non_space();
      const Item& op = peek_non_space();
      bool comma = op.type == ItemType::kChar && op.val == ",";
      if (op.type != ItemType::kAssign && op.type != ItemType::kDeclare && !comma) {
        i_ = mark;  // "$x" is an operand, not a declaration
        return {};
      }
      next_non_space();
      pipe.is_assign = op.type == ItemType::kAssign;
      pipe.decl.push_back(
          std::make_unique<VariableNode>(var.pos, std::vector<std::string>{var.val}));
      vars_.push_back(var.val);
      if (!comma) return {};
      if (context != "range" || pipe.decl.size() >= 2)
        return error("too many declarations in " + std::string(context));
      ItemType t = peek_non_space().type;
      if (t != ItemType::kVariable && t != ItemType::kRightDelim && t != ItemType::kRightParen)
        return error("range can only initialize variables");
    }
    return {};
  }

  Result<std::unique_ptr<PipeNode>> pipeline(std::string_view context, ItemType end) {
    auto pipe = std::make_unique<PipeNode>(peek_non_space().pos);
    BERTH_TRY(declarations(*pipe, context));
    while (true) {
      const Item& token = next_non_space();
      if (token.type == end) {
        BERTH_TRY(check_pipeline(*pipe, context));
        return pipe;
      }
      switch (token.type) {
        case ItemType::kBool:
        case ItemType::kCharConstant:
        case ItemType::kDot:
        case ItemType::kField:
        case ItemType::kIdentifier:
        case ItemType::kNumber:
        case ItemType::kNil:
        case ItemType::kRawString:
        case ItemType::kString:
        case ItemType::kVariable:
        case ItemType::kLeftParen: {
          backup();
          BERTH_ASSIGN_OR_RETURN(auto cmd, command());
          pipe->cmds.push_back(std::move(cmd));
          break;
        }
        default:
          return unexpected(token, context);
      }
    }
  }

  Status check_pipeline(const PipeNode& pipe, std::string_view context) {
    if (pipe.cmds.empty()) return error("missing value for " + std::string(context));
    for (size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i]->args[0]->kind) {
        case NodeKind::kBool:
        case NodeKind::kDot:
        case NodeKind::kNil:
        case NodeKind::kNumber:
        case NodeKind::kString:
          return error("non executable command in pipeline stage " + std::to_string(i + 1));
        default:
          break;
      }
    }
    return {};
  }

  Result<std::unique_ptr<CommandNode>> command() {
    auto cmd = std::make_unique<CommandNode>(peek_non_space().pos);
    while (true) {
      peek_non_space();
      BERTH_ASSIGN_OR_RETURN(NodePtr operand, this->operand());
      if (operand) cmd->args.push_back(std::move(operand));
      const Item& token = next();
      if (token.type == ItemType::kSpace) continue;
      if (token.type == ItemType::kRightDelim || token.type == ItemType::kRightParen) {
        backup();
      } else if (token.type != ItemType::kPipe) {
        return unexpected(token, "operand");
      }
      break;
    }
    if (cmd->args.empty()) return error("empty command");
    return cmd;
  }

  Result<NodePtr> operand() {
    BERTH_ASSIGN_OR_RETURN(NodePtr node, term());
    if (!node || peek().type != ItemType::kField) return node;
    auto chain = std::make_unique<ChainNode>(peek().pos, std::move(node));
    while (peek().type == ItemType::kField) chain->fields.push_back(next().val.substr(1));
    // Like Go, fields after a field or variable extend it; after a literal they are an error.
    switch (chain->node->kind) {
      case NodeKind::kField: {
        auto& f = static_cast<FieldNode&>(*chain->node);
        f.idents.insert(f.idents.end(), chain->fields.begin(), chain->fields.end());
        f.pos = chain->pos;
        return std::move(chain->node);
      }
      case NodeKind::kVariable: {
        auto& v = static_cast<VariableNode&>(*chain->node);
        v.idents.insert(v.idents.end(), chain->fields.begin(), chain->fields.end());
        v.pos = chain->pos;
        return std::move(chain->node);
      }
      case NodeKind::kBool:
      case NodeKind::kString:
      case NodeKind::kNumber:
      case NodeKind::kNil:
      case NodeKind::kDot:
        return error("unexpected . after term " + go_quote(node_string(*chain->node)));
      default:
        return as_node(std::move(chain));
    }
  }

  Result<NodePtr> term() {
    const Item& token = next_non_space();
    switch (token.type) {
      case ItemType::kIdentifier:
        if (!has_function_(token.val))
          return error("function " + go_quote(token.val) + " not defined");
        return as_node(std::make_unique<IdentifierNode>(token.pos, token.val));
      case ItemType::kDot:
        return std::make_unique<Node>(NodeKind::kDot, token.pos);
      case ItemType::kNil:
        return std::make_unique<Node>(NodeKind::kNil, token.pos);
      case ItemType::kVariable:
        return use_var(token);
      case ItemType::kField:
        return as_node(
            std::make_unique<FieldNode>(token.pos, std::vector<std::string>{token.val.substr(1)}));
      case ItemType::kBool:
        return as_node(std::make_unique<BoolNode>(token.pos, token.val == "true"));
      case ItemType::kCharConstant:
      case ItemType::kNumber:
        return number(token);
      case ItemType::kLeftParen: {
        DepthGuard guard(depth_);
        if (depth_ > kMaxDepth) return error("max expression depth exceeded");
        BERTH_ASSIGN_OR_RETURN(auto pipe,
                               pipeline("parenthesized pipeline", ItemType::kRightParen));
        return as_node(std::move(pipe));
      }
      case ItemType::kString:
      case ItemType::kRawString: {
        std::string text;
        if (!unquote(token.val, text)) return error("invalid syntax");
        return as_node(std::make_unique<StringNode>(token.pos, token.val, std::move(text)));
      }
      default:
        backup();
        return NodePtr();
    }
  }

  Result<NodePtr> use_var(const Item& token) {
    auto idents = split_idents(token.val);
    if (std::find(vars_.begin(), vars_.end(), idents[0]) == vars_.end())
      return error("undefined variable " + go_quote(idents[0]));
    return as_node(std::make_unique<VariableNode>(token.pos, std::move(idents)));
  }

  Result<NodePtr> number(const Item& token) {
    auto n = std::make_unique<NumberNode>(token.pos, token.val);
    if (token.type == ItemType::kCharConstant) {
      std::string ch;
      if (!unquote(token.val, ch)) return error("malformed character constant: " + token.val);
      size_t size = 0;
      n->int_value = decode_rune(ch, 0, size);
      return as_node(std::move(n));
    }
    if (token.val.back() == 'i')
      return error("complex constant " + go_quote(token.val) + " is not supported");
    std::string text;
    for (char c : token.val)
      if (c != '_') text += c;
    std::string_view digits = text;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    bool hex = digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
    n->is_float = contains_any(digits, ".pP") || (!hex && contains_any(digits, "eE"));
    // A hexadecimal float needs its 'p' exponent in Go; strtod would take it without.
    if (hex && n->is_float && !contains_any(digits, "pP"))
      return error("illegal number syntax: " + go_quote(token.val));
    if (n->is_float) {
      char* end = nullptr;
      n->float_value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        return error("illegal number syntax: " + go_quote(token.val));
      return as_node(std::move(n));
    }
    switch (parse_go_int(text, n->int_value)) {
      case IntParse::kOk:
        return as_node(std::move(n));
      case IntParse::kOverflow:
        return error("integer overflow: " + go_quote(token.val));
      default:
        return error("illegal number syntax: " + go_quote(token.val));
    }
  }

  std::vector<Item> items_;
  const std::function<bool(std::string_view)>& has_function_;
  size_t i_ = 0;
  size_t furthest_ = 0;
  int action_line_ = 0;
  int range_depth_ = 0;
  int depth_ = 0;
  std::vector<std::string> vars_{"$"};
};

}  // namespace

Result<std::unique_ptr<ListNode>> parse_template(
    std::string_view text, const std::function<bool(std::string_view)>& has_function) {
  return Parser(text, has_function).parse();
}

}  // namespace berth::format::internal
