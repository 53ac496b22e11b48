// Template values: a JSON value standing in for Go's reflect.Value, plus Go's "invalid" value
// (what a missing map key yields, printed "<no value>"). Private to format.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace berth::format::internal {

using nlohmann::json;

// A JSON value borrowed from the caller's data or owned by the value itself (function results).
// Children of an owned value share its ownership, so fields of a function result stay alive.
class Value {
 public:
  Value() = default;  // the missing value
  static Value borrow(const json& j) {
    Value v;
    v.ptr_ = &j;
    return v;
  }
  static Value own(json j) {
    Value v;
    v.owner_ = std::make_shared<const json>(std::move(j));
    v.ptr_ = v.owner_.get();
    return v;
  }
  // A value inside this one (a field or element of get()).
  Value child(const json& j) const {
    Value v;
    v.owner_ = owner_;
    v.ptr_ = &j;
    return v;
  }

  bool valid() const { return ptr_ != nullptr; }
  const json& get() const { return *ptr_; }

 private:
  std::shared_ptr<const json> owner_;
  const json* ptr_ = nullptr;
};

// The Go type a Go program decoding this JSON would see: string, int, float64, bool,
// []interface {}, map[string]interface {}; "<nil>" for null.
std::string type_name(const json& j);

// Go's truth for if/with/and/or/not: false for missing, null, false, 0, and empty strings,
// arrays and objects.
bool truth(const Value& v);

// The value as an integer when it is one: an integer, or a float with an integral value (JSON does
// not keep the difference Go's typed fields have).
std::optional<int64_t> as_int(const json& j);

// Docker's `json` template function: Go's json.Encoder with SetEscapeHTML(false), trailing
// newline trimmed. Object keys come out sorted, as Go sorts map keys.
std::string to_go_json(const json& j);

}  // namespace berth::format::internal
