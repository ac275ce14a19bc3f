#!/usr/bin/python3
"""Render the hyperlight C ABI spec (api/hyperlight.yaml) into its outputs.

Outputs, relative to the repository root:
  include/hyperlight.h                     the public C header
  bindings/go/constants_gen.go             Go constants
  bindings/csharp/Hyperlight/Generated.cs  C# enums and the hl_val_t struct
  bindings/csharp/Hyperlight/Version.props MSBuild properties: the package version
  src/common/api_types.h                   the same constants and structs for
                                           the library's inner layers, which
                                           never include hyperlight.h
  src/capi/api_types_check.h               static assertions that the two agree

  apigen.py            regenerate all outputs
  apigen.py --check    exit 1 if any committed output differs from a fresh render

The spec is validated before anything is rendered; every problem is reported
as "<file>: <item>: <problem>" and the exit status is 2.
"""

import argparse
import difflib
import os
import re
import sys
import textwrap

import jinja2
import yaml

TOOL_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.normpath(os.path.join(TOOL_DIR, "..", ".."))
TEMPLATE_DIR = os.path.join(TOOL_DIR, "templates")
DEFAULT_SPEC = os.path.join(REPO_ROOT, "api", "hyperlight.yaml")

# (template, output path relative to the output directory)
OUTPUTS = [
    ("hyperlight.h.j2", "include/hyperlight.h"),
    ("constants_gen.go.j2", "bindings/go/constants_gen.go"),
    ("Generated.cs.j2", "bindings/csharp/Hyperlight/Generated.cs"),
    ("Version.props.j2", "bindings/csharp/Hyperlight/Version.props"),
    ("api_types.h.j2", "src/common/api_types.h"),
    ("api_types_check.h.j2", "src/capi/api_types_check.h"),
]

LINE_WIDTH = 80

# Fixed-width integer C types: (size in bytes, Go type, C# type, signed).
INTEGER_TYPES = {
    "int8_t": (1, "int8", "sbyte", True),
    "uint8_t": (1, "uint8", "byte", False),
    "int16_t": (2, "int16", "short", True),
    "uint16_t": (2, "uint16", "ushort", False),
    "int32_t": (4, "int32", "int", True),
    "uint32_t": (4, "uint32", "uint", False),
    "int64_t": (8, "int64", "long", True),
    "uint64_t": (8, "uint64", "ulong", False),
}

# Other scalar types the spec may use, with their size on x86-64 (LP64) and
# their C# equivalent. Pointers are handled separately (8 bytes, IntPtr).
OTHER_SCALAR_TYPES = {
    "float": (4, "float"),
    "double": (8, "double"),
    "size_t": (8, "nuint"),
}

# Types that may appear only behind a pointer or as a return type.
POINTEE_ONLY_TYPES = {"void", "char"}

POINTER_SIZE = 8

# Top-level lists of the spec; any of them may be absent.
LIST_KEYS = ("constant_groups", "typedefs", "opaque_types", "structs", "callbacks", "functions")


class SpecError(Exception):
    """The spec is invalid; `problems` lists every problem found."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


# ---------------------------------------------------------------------------
# Names and C type strings


def camel_case(name):
    """INVALID_ARGUMENT -> InvalidArgument, hl_val -> HlVal, i32 -> I32."""
    return "".join(part[:1].upper() + part[1:].lower() for part in name.split("_") if part)


def split_array(c_type):
    """'uint8_t[6]' -> ('uint8_t', 6); 'size_t' -> ('size_t', None)."""
    match = re.fullmatch(r"(.*?)\s*\[(\d+)\]", c_type)
    if match:
        return match.group(1), int(match.group(2))
    return c_type, None


def base_type_name(c_type):
    """The type name with const, pointers and array bounds stripped."""
    element, _ = split_array(c_type)
    words = element.replace("*", " ").split()
    return " ".join(word for word in words if word != "const")


def is_pointer(c_type):
    return c_type.rstrip().endswith("*")


def c_declaration(c_type, name):
    """Declare `name` of `c_type`, with the star attached to the name.

    'const char *' + 'ptr' -> 'const char *ptr'; 'uint8_t[6]' + 'reserved'
    -> 'uint8_t reserved[6]'; 'size_t' + 'len' -> 'size_t len'.
    """
    element, count = split_array(c_type)
    if count is not None:
        return "%s[%d]" % (c_declaration(element, name), count)
    if is_pointer(c_type):
        return c_type.rstrip() + name
    return "%s %s" % (c_type, name)


# ---------------------------------------------------------------------------
# Comment formatting (used by the templates as filters)


def paragraphs(text):
    """Split doc text into paragraphs (blank-line separated), whitespace collapsed."""
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", str(text).strip()) if block.strip()]


def wrap_lines(text, prefix, hanging=""):
    """Wrap doc text to LINE_WIDTH under `prefix` ('// ', ' * ', '/// ').

    Paragraphs stay separated by a line holding the bare prefix. `hanging`
    indents continuation lines (for '@param name ...').
    """
    width = LINE_WIDTH - len(prefix.expandtabs(4))
    blank = prefix.rstrip()
    out = []
    for index, paragraph in enumerate(paragraphs(text)):
        if index:
            out.append(blank)
        # Never split words: identifiers, paths and "x86-64" must stay whole.
        lines = textwrap.wrap(
            paragraph,
            width=width,
            subsequent_indent=hanging,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out.extend(prefix + line for line in lines)
    return "\n".join(out)


def c_doc_comment(text, indent=""):
    """A /** ... */ comment: on one line when it fits, else a block."""
    one_line = "%s/** %s */" % (indent, " ".join(str(text).split()))
    if len(one_line) <= LINE_WIDTH and len(paragraphs(text)) == 1:
        return one_line
    return "%s/**\n%s\n%s */" % (indent, wrap_lines(text, indent + " * "), indent)


def xml_escape(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cs_summary(text, indent=""):
    """A /// <summary> comment: on one line when it fits, else a block."""
    escaped = xml_escape(text)
    one_line = "%s/// <summary>%s</summary>" % (indent, " ".join(escaped.split()))
    if len(one_line) <= LINE_WIDTH and len(paragraphs(escaped)) == 1:
        return one_line
    prefix = indent + "/// "
    return "%s<summary>\n%s\n%s</summary>" % (prefix, wrap_lines(escaped, prefix), prefix)


def c_signature(prefix, params):
    """'prefix(p1, p2);' on one line if it fits, else one parameter per line
    aligned with the opening parenthesis."""
    if not params:
        return prefix + "(void);"
    one_line = "%s(%s);" % (prefix, ", ".join(params))
    if len(one_line) <= LINE_WIDTH:
        return one_line
    separator = ",\n" + " " * (len(prefix) + 1)
    return "%s(%s);" % (prefix, separator.join(params))


# ---------------------------------------------------------------------------
# Validation


class Validator:
    """Checks the spec and collects every problem rather than stopping at the first."""

    def __init__(self, spec, spec_name):
        self.spec = spec
        self.spec_name = spec_name
        self.problems = []

    def fail(self, item, message):
        self.problems.append("%s: %s: %s" % (self.spec_name, item, message))

    def require(self, mapping, key, item, kind=None):
        """mapping[key], or None after recording a problem."""
        if not isinstance(mapping, dict) or key not in mapping or mapping[key] is None:
            self.fail(item, "missing '%s'" % key)
            return None
        value = mapping[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            self.fail(item, "'%s' must be an integer, not %r" % (key, value))
            return None
        if kind is str and not isinstance(value, str):
            self.fail(item, "'%s' must be a string, not %r" % (key, value))
            return None
        if kind is list and not isinstance(value, list):
            self.fail(item, "'%s' must be a list" % key)
            return None
        return value

    def require_doc(self, mapping, item, key="doc"):
        doc = self.require(mapping, key, item, str)
        if doc is not None:
            if not doc.strip():
                self.fail(item, "'%s' is empty" % key)
            if "*/" in doc:
                self.fail(item, "'%s' contains '*/', which would end the C comment" % key)
        return doc

    def read_list(self, key):
        """The list under a top-level key; entries that are not mappings are reported and dropped."""
        value = self.spec.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        entries = []
        for entry in value:
            if isinstance(entry, dict):
                entries.append(entry)
            else:
                self.fail(key, "entry %r is not a mapping" % (entry,))
        return entries

    def check_unique_names(self, entries, what, item):
        seen = set()
        for entry in entries:
            name = entry.get("name")
            if name in seen:
                self.fail(item, "duplicate %s name '%s'" % (what, name))
            seen.add(name)

    def run(self):
        if not isinstance(self.spec, dict):
            self.fail("spec", "the top level must be a mapping")
            raise SpecError(self.problems)
        # Read each top-level list once so a malformed entry is reported once.
        self.lists = {key: self.read_list(key) for key in LIST_KEYS}
        self.require(self.spec, "library", "spec", str)
        self.require_doc(self.spec, "spec", "header_doc")
        self.check_version()
        self.typedef_targets = self.check_typedefs()
        self.known_types = set(INTEGER_TYPES) | set(OTHER_SCALAR_TYPES) | POINTEE_ONLY_TYPES
        self.known_types |= set(self.typedef_targets)
        for key in ("opaque_types", "structs", "callbacks"):
            for entry in self.lists[key]:
                if isinstance(entry.get("name"), str):
                    self.known_types.add(entry["name"])
        for name, c_type in self.typedef_targets.items():
            self.check_type_known(c_type, "typedef '%s'" % name)
        self.check_constant_groups()
        self.check_opaque_types()
        self.check_structs()
        self.check_callables("callbacks", "callback", needs_abi_notes=False)
        self.check_callables("functions", "function", needs_abi_notes=True)
        self.check_global_name_clashes()
        if self.problems:
            raise SpecError(self.problems)

    def check_version(self):
        version = self.require(self.spec, "version", "version")
        if version is None:
            return
        # HL_VERSION packs minor and patch into 8 bits each, major into 16.
        limits = {"major": 0xFFFF, "minor": 0xFF, "patch": 0xFF}
        for part, limit in limits.items():
            number = self.require(version, part, "version", int)
            if number is not None and not 0 <= number <= limit:
                self.fail("version", "'%s' must be in 0..%d, not %d" % (part, limit, number))

    def check_typedefs(self):
        targets = {}
        typedefs = self.lists["typedefs"]
        self.check_unique_names(typedefs, "typedef", "typedefs")
        for typedef in typedefs:
            name = self.require(typedef, "name", "typedefs", str)
            item = "typedef '%s'" % name
            c_type = self.require(typedef, "c_type", item, str)
            self.require_doc(typedef, item)
            if name and c_type:
                targets[name] = c_type
        return targets

    def resolve(self, c_type):
        """Follow typedefs down to a base type string."""
        seen = set()
        while c_type in self.typedef_targets and c_type not in seen:
            seen.add(c_type)
            c_type = self.typedef_targets[c_type]
        return c_type

    def check_type_known(self, c_type, item, allow_void=False):
        """Catch typos in type names: every type must be declared in the spec or be standard."""
        base = base_type_name(c_type)
        if base not in self.known_types:
            self.fail(item, "unknown C type '%s'" % c_type)
            return False
        if allow_void and c_type.strip() == "void":
            return True
        if base in POINTEE_ONLY_TYPES and not is_pointer(c_type):
            self.fail(item, "'%s' may only be used behind a pointer" % c_type)
            return False
        return True

    def check_constant_groups(self):
        groups = self.lists["constant_groups"]
        self.check_unique_names(groups, "constant group", "constant_groups")
        for group in groups:
            group_name = self.require(group, "name", "constant_groups", str)
            item = "constant group '%s'" % group_name
            c_type = self.require(group, "c_type", item, str)
            for key in ("c_prefix", "go_type", "go_prefix", "cs_enum"):
                self.require(group, key, item, str)
            self.require_doc(group, item)
            integer = None
            if c_type is not None:
                integer = INTEGER_TYPES.get(self.resolve(c_type))
                if integer is None:
                    self.fail(item, "c_type '%s' is not a fixed-width integer type or a typedef of one" % c_type)
            values = self.require(group, "values", item, list) or []
            if not values and "values" in group:
                self.fail(item, "has no values")
            is_flags = group_is_flags(group)
            names_seen = {}
            values_seen = {}
            for entry in values:
                name = self.require(entry, "name", item, str)
                if name is None:
                    continue
                entry_item = "%s, constant '%s'" % (item, name)
                if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                    self.fail(entry_item, "name must be UPPER_CASE (letters, digits, '_')")
                if name in names_seen:
                    self.fail(entry_item, "duplicate constant name")
                names_seen[name] = True
                self.require_doc(entry, entry_item)
                if "value" not in entry:
                    self.fail(entry_item, "missing explicit 'value' (constant values are ABI: never implicit)")
                    continue
                value = self.require(entry, "value", entry_item, int)
                if value is None:
                    continue
                if value in values_seen:
                    already = values_seen[value]
                    self.fail(entry_item, "duplicate value %d (already used by '%s')" % (value, already))
                values_seen[value] = name
                if integer is not None:
                    low, high = integer_range(integer)
                    if not low <= value <= high:
                        self.fail(entry_item, "value %d does not fit in %s" % (value, c_type))
                if is_flags and (value <= 0 or value & (value - 1)):
                    self.fail(entry_item, "flag value %d is not a single bit" % value)

    def check_opaque_types(self):
        opaque = self.lists["opaque_types"]
        self.check_unique_names(opaque, "opaque type", "opaque_types")
        for entry in opaque:
            name = self.require(entry, "name", "opaque_types", str)
            item = "opaque type '%s'" % name
            self.require_doc(entry, item)
            if name and not name.endswith("_t"):
                self.fail(item, "name must end in '_t' (the struct tag is the name without it)")

    def check_structs(self):
        structs = self.lists["structs"]
        self.check_unique_names(structs, "struct", "structs")
        for struct in structs:
            name = self.require(struct, "name", "structs", str)
            item = "struct '%s'" % name
            self.require_doc(struct, item)
            if name and not name.endswith("_t"):
                self.fail(item, "name must end in '_t' (the struct tag is the name without it)")
            size = self.require(struct, "size", item, int)
            align = self.require(struct, "align", item, int)
            if align is not None and (align <= 0 or align & (align - 1)):
                self.fail(item, "align %d is not a power of two" % align)
            elif size is not None and align is not None and size % align:
                self.fail(item, "size %d is not a multiple of align %d" % (size, align))
            fields = self.require(struct, "fields", item, list)
            if size is not None and fields is not None:
                self.check_members(fields, size, item, overlap_allowed=False, top_level=True)

    def check_members(self, members, container_size, item, overlap_allowed, top_level=False):
        """Check the members of a struct (no overlap) or a union (overlap allowed)."""
        placed = []
        self.check_unique_names([m for m in members if isinstance(m, dict)], "field", item)
        for member in members:
            name = self.require(member, "name", item, str)
            if name is None:
                continue
            member_item = "%s, field '%s'" % (item, name)
            if top_level or "doc" in member:
                self.require_doc(member, member_item)
            offset = self.require(member, "offset", member_item, int)
            size = self.require(member, "size", member_item, int)
            if offset is None or size is None:
                continue
            if offset < 0 or size <= 0:
                self.fail(member_item, "offset must be >= 0 and size > 0")
                continue
            if offset + size > container_size:
                self.fail(member_item, "offset %d + size %d exceeds the enclosing size %d"
                          % (offset, size, container_size))
            placed.append((offset, size, name))
            kinds = [key for key in ("c_type", "union", "struct") if key in member]
            if len(kinds) != 1:
                self.fail(member_item, "needs exactly one of 'c_type', 'union' or 'struct'")
                continue
            if kinds[0] == "c_type":
                self.check_field_type(member["c_type"], size, member_item)
            else:
                nested = self.require(member, kinds[0], member_item, list)
                if nested is not None:
                    self.check_members(nested, size, member_item, overlap_allowed=kinds[0] == "union")
        if not overlap_allowed:
            placed.sort()
            for (offset_a, size_a, name_a), (offset_b, _, name_b) in zip(placed, placed[1:]):
                if offset_b < offset_a + size_a:
                    self.fail(item, "fields '%s' (offset %d, size %d) and '%s' (offset %d) overlap"
                              % (name_a, offset_a, size_a, name_b, offset_b))

    def check_field_type(self, c_type, size, item):
        if not isinstance(c_type, str):
            self.fail(item, "'c_type' must be a string")
            return
        if not self.check_type_known(c_type, item):
            return
        expected = self.type_size(c_type)
        if expected is None:
            # Go and C# mirror struct fields, so each must map to a plain type.
            self.fail(item, "'%s' is not an integer, float, size_t, pointer or array of those" % c_type)
        elif expected != size:
            self.fail(item, "size %d does not match %s, which is %d bytes on x86-64" % (size, c_type, expected))

    def type_size(self, c_type):
        """Size in bytes on x86-64 when known, else None."""
        element, count = split_array(c_type)
        if count is not None:
            element_size = self.type_size(element)
            return None if element_size is None else element_size * count
        if is_pointer(c_type):
            return POINTER_SIZE
        resolved = self.resolve(c_type.strip())
        if resolved in INTEGER_TYPES:
            return INTEGER_TYPES[resolved][0]
        if resolved in OTHER_SCALAR_TYPES:
            return OTHER_SCALAR_TYPES[resolved][0]
        return None

    def check_callables(self, key, what, needs_abi_notes):
        entries = self.lists[key]
        self.check_unique_names(entries, what, key)
        for entry in entries:
            name = self.require(entry, "name", key, str)
            item = "%s '%s'" % (what, name)
            self.require_doc(entry, item)
            if needs_abi_notes:
                # docs/abi.md: every function states ownership and thread-safety.
                self.require_doc(entry, item, "ownership")
                self.require_doc(entry, item, "thread_safety")
            returns = self.require(entry, "returns", item)
            if isinstance(returns, dict):
                return_type = self.require(returns, "c_type", item + ", returns", str)
                if returns.get("doc") is not None:
                    self.require_doc(returns, item + ", returns")
            elif isinstance(returns, str):
                return_type = returns
            else:
                return_type = None
                if returns is not None:
                    self.fail(item, "'returns' must be a C type or a mapping with 'c_type'")
            if return_type is not None:
                self.check_type_known(return_type, item + ", returns", allow_void=True)
            params = self.require(entry, "params", item, list) or []
            self.check_unique_names([p for p in params if isinstance(p, dict)], "parameter", item)
            for param in params:
                param_name = self.require(param, "name", item, str)
                param_item = "%s, parameter '%s'" % (item, param_name)
                param_type = self.require(param, "c_type", param_item, str)
                self.require_doc(param, param_item)
                if param_type is not None:
                    self.check_type_known(param_type, param_item)

    def check_global_name_clashes(self):
        """C names share one namespace: catch e.g. HL_VAL_ + FLAG_OWNED vs HL_VAL_FLAG_ + OWNED."""
        owners = {}
        for group in self.lists["constant_groups"]:
            values = group.get("values")
            prefix = group.get("c_prefix")
            if not isinstance(values, list) or not isinstance(prefix, str):
                continue
            for entry in values:
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                    continue
                c_name = prefix + entry["name"]
                if c_name in owners and owners[c_name] != group.get("name"):
                    self.fail("constant '%s'" % c_name,
                              "defined by both group '%s' and group '%s'" % (owners[c_name], group.get("name")))
                owners[c_name] = group.get("name")
        type_owners = {}
        for key in ("typedefs", "opaque_types", "structs", "callbacks"):
            for entry in self.lists[key]:
                type_name = entry.get("name")
                if type_name in type_owners and type_owners[type_name] != key:
                    self.fail("type '%s'" % type_name,
                              "declared in both %s and %s" % (type_owners[type_name], key))
                type_owners.setdefault(type_name, key)
        # struct hl_foo (the tag of hl_foo_t) and a function hl_foo() clash
        # in C++: the function hides the struct's name (-Wshadow).
        tags = {entry.get("name")[: -len("_t")]: entry.get("name")
                for key in ("opaque_types", "structs") for entry in self.lists[key]
                if isinstance(entry.get("name"), str) and entry.get("name").endswith("_t")}
        for function in self.lists["functions"]:
            if function.get("name") in tags:
                self.fail("function '%s'" % function["name"],
                          "has the name of the struct tag of %s; rename one of them" % tags[function["name"]])


def integer_range(integer_type):
    """(lowest, highest) value of an INTEGER_TYPES entry."""
    size, _, _, signed = integer_type
    bits = size * 8
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def group_is_flags(group):
    """Whether a constant group holds bit flags rather than distinct values.

    The spec has no explicit marker yet, so a group named *_flag(s) counts as
    flags; an explicit 'flags: true/false' key wins if present.
    """
    if "flags" in group:
        return bool(group["flags"])
    return str(group.get("name", "")).endswith(("_flag", "_flags"))


# ---------------------------------------------------------------------------
# The model the templates render: the spec plus derived names and strings.


def annotate_members(members, base_offset, c_path, cs_prefix, struct_name, cs_type, layout, cs_fields, cpp_type=None):
    """Walk struct members depth first.

    Returns copies of `members` with 'decl' (a leaf's C declaration) and
    'cpp_decl' (the same with the inner layers' C++ type names), or
    'keyword' and 'members' (a nested union/struct) for the header template.
    Appends (C member path, absolute offset) to `layout`, for the static
    assertions, and one flattened C# field per leaf to `cs_fields`.
    """
    annotated = []
    for member in members:
        offset = base_offset + member["offset"]
        path = c_path + [member["name"]]
        path_text = ".".join(path)
        layout.append((path_text, offset))
        if "c_type" in member:
            decl = c_declaration(member["c_type"], member["name"])
            cpp_decl = c_declaration(cpp_type(member["c_type"]) if cpp_type else member["c_type"], member["name"])
            annotated.append(dict(member, doc=member.get("doc"), decl=decl, cpp_decl=cpp_decl, members=None))
            # Arrays of numbers become C# fixed buffers ("fixed ulong X[4]",
            # which makes the struct unsafe); reserved arrays are listed in a
            # comment only (type None).
            element, count = split_array(member["c_type"])
            reserved = member["name"].startswith("reserved")
            if count is None:
                field_type, fixed_count = cs_type(member["c_type"]), None
            elif reserved or is_pointer(element):
                field_type, fixed_count = None, None
            else:
                field_type, fixed_count = cs_type(element), count
            cs_fields.append(
                {
                    "name": cs_prefix + camel_case(member["name"]),
                    "type": field_type,
                    "fixed_count": fixed_count,
                    "offset": offset,
                    "c_path": path_text,
                    "c_type": member["c_type"],
                    "doc": member.get("doc") or "%s.%s (%s)." % (struct_name, path_text, member["c_type"]),
                }
            )
        else:
            keyword = "union" if "union" in member else "struct"
            # Union members are alternatives, so their C# names stand alone
            # (of.i32 -> I32); struct members keep their parent's name
            # (of.string.ptr -> StringPtr).
            nested_prefix = cs_prefix if keyword == "union" else cs_prefix + camel_case(member["name"])
            nested = annotate_members(
                member[keyword], offset, path, nested_prefix, struct_name, cs_type, layout, cs_fields, cpp_type
            )
            annotated.append(dict(member, doc=member.get("doc"), keyword=keyword, members=nested))
    return annotated


def build_model(spec, spec_name):
    typedef_targets = {t["name"]: t["c_type"] for t in spec.get("typedefs") or []}

    def resolve(c_type):
        while c_type in typedef_targets:
            c_type = typedef_targets[c_type]
        return c_type

    def cs_type(c_type):
        if is_pointer(c_type):
            return "IntPtr"
        resolved = resolve(c_type)
        if resolved in INTEGER_TYPES:
            return INTEGER_TYPES[resolved][2]
        return OTHER_SCALAR_TYPES[resolved][1]

    version = spec["version"]
    model = {
        "spec_name": spec_name,
        "library": spec["library"],
        "header_doc": spec["header_doc"],
        "version": {
            "major": version["major"],
            "minor": version["minor"],
            "patch": version["patch"],
            "number": (version["major"] << 16) | (version["minor"] << 8) | version["patch"],
            "string": "%d.%d.%d" % (version["major"], version["minor"], version["patch"]),
        },
        "typedefs": spec.get("typedefs") or [],
        "opaque_types": [dict(o, tag=o["name"][: -len("_t")]) for o in spec.get("opaque_types") or []],
    }

    # The inner layers' C++ name of each typedef that a constant group
    # types (hl_val_kind_t -> hl::ValKind), so struct fields keep their meaning.
    cpp_names = {
        group["c_type"]: group["go_type"]
        for group in spec.get("constant_groups") or []
        if group["c_type"] in typedef_targets and not group_is_flags(group)
    }

    # Structs keep their inner-layer names behind pointers too
    # (const hl_call_stats_t * -> const CallStats *).
    struct_cpp_names = {s["name"]: camel_case(s["name"][len("hl_") : -len("_t")]) for s in spec.get("structs") or []}

    def cpp_type(c_type):
        element, count = split_array(c_type)
        if element in cpp_names:
            return cpp_names[element] + ("[%d]" % count if count is not None else "")
        pointee = re.fullmatch(r"(const\s+)?(hl_\w+_t)\s*\*", c_type.strip())
        if pointee and pointee.group(2) in struct_cpp_names:
            return (pointee.group(1) or "") + struct_cpp_names[pointee.group(2)] + " *"
        return c_type

    groups = []
    for group in spec.get("constant_groups") or []:
        _, go_underlying, cs_underlying, signed = INTEGER_TYPES[resolve(group["c_type"])]
        groups.append(
            dict(
                group,
                cpp_underlying=resolve(group["c_type"]),
                is_flags=group_is_flags(group),
                go_underlying=go_underlying,
                go_signed=signed,
                cs_underlying=cs_underlying,
                constants=[
                    dict(
                        value,
                        c_name=group["c_prefix"] + value["name"],
                        go_name=group["go_prefix"] + camel_case(value["name"]),
                        cs_name=camel_case(value["name"]),
                        cpp_name="k" + camel_case(value["name"]),
                    )
                    for value in group["values"]
                ],
            )
        )
    model["constant_groups"] = groups

    structs = []
    for struct in spec.get("structs") or []:
        layout = []
        cs_fields = []
        members = annotate_members(
            struct["fields"], 0, [], "", struct["name"], cs_type, layout, cs_fields, cpp_type
        )
        structs.append(
            dict(
                struct,
                tag=struct["name"][: -len("_t")],
                members=members,
                layout=layout,
                cs_name=camel_case(struct["name"][: -len("_t")]),
                # hl_val_t -> Val (in namespace hl)
                cpp_name=camel_case(re.sub(r"^hl_", "", struct["name"][: -len("_t")])),
                cs_fields=cs_fields,
                cs_unsafe=any(f.get("fixed_count") for f in cs_fields),
            )
        )
    model["structs"] = structs

    def returns_of(entry):
        returns = entry["returns"]
        if isinstance(returns, str):
            return {"c_type": returns, "doc": None}
        return {"c_type": returns["c_type"], "doc": returns.get("doc")}

    callbacks = []
    for callback in spec.get("callbacks") or []:
        returns = returns_of(callback)
        params = [c_declaration(p["c_type"], p["name"]) for p in callback["params"]]
        prefix = "typedef " + c_declaration(returns["c_type"], "(*%s)" % callback["name"])
        callbacks.append(dict(callback, returns=returns, signature=c_signature(prefix, params)))
    model["callbacks"] = callbacks

    functions = []
    for function in spec.get("functions") or []:
        returns = returns_of(function)
        params = [c_declaration(p["c_type"], p["name"]) for p in function["params"]]
        prefix = "HL_API " + c_declaration(returns["c_type"], function["name"])
        functions.append(dict(function, returns=returns, signature=c_signature(prefix, params)))
    model["functions"] = functions
    return model


# ---------------------------------------------------------------------------
# Loading, rendering, writing and checking


def spec_display_name(spec_path):
    """The spec path as shown in messages and generated headers: relative to
    the repository root when inside it, so output does not depend on where
    the checkout lives."""
    absolute = os.path.abspath(spec_path)
    relative = os.path.relpath(absolute, REPO_ROOT)
    return absolute if relative.startswith("..") else relative.replace(os.sep, "/")


def load_spec(spec_path):
    """Parse and validate the spec; raise SpecError on any problem."""
    name = spec_display_name(spec_path)
    try:
        with open(spec_path, encoding="utf-8") as spec_file:
            spec = yaml.safe_load(spec_file)
    except OSError as error:
        raise SpecError(["%s: cannot read: %s" % (name, error.strerror)])
    except yaml.YAMLError as error:
        raise SpecError(["%s: invalid YAML: %s" % (name, error)])
    Validator(spec, name).run()
    return spec


def make_environment():
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    environment.filters["wrap"] = wrap_lines
    environment.filters["c_doc"] = c_doc_comment
    environment.filters["cs_summary"] = cs_summary
    environment.filters["xml_escape"] = xml_escape
    return environment


def tidy(text):
    """No trailing whitespace on any line, exactly one newline at the end."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n") + "\n"


def render_all(spec_path=DEFAULT_SPEC):
    """{output relative path: text} for every output."""
    spec = load_spec(spec_path)
    model = build_model(spec, spec_display_name(spec_path))
    environment = make_environment()
    return {path: tidy(environment.get_template(template).render(**model)) for template, path in OUTPUTS}


def write_outputs(rendered, out_dir):
    for relative, text in rendered.items():
        path = os.path.join(out_dir, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as out_file:
            out_file.write(text)
        print("apigen: wrote %s" % relative)


def check_outputs(rendered, out_dir, spec_name, max_diff_lines=40):
    """Compare fresh renders with the files on disk; return the stale paths."""
    stale = []
    for relative, text in rendered.items():
        path = os.path.join(out_dir, relative)
        try:
            with open(path, encoding="utf-8", newline="") as existing_file:
                existing = existing_file.read()
        except FileNotFoundError:
            print("apigen: %s is missing" % relative)
            stale.append(relative)
            continue
        if existing == text:
            continue
        stale.append(relative)
        print("apigen: %s differs from what %s generates" % (relative, spec_name))
        diff = list(
            difflib.unified_diff(
                existing.splitlines(),
                text.splitlines(),
                fromfile="%s (on disk)" % relative,
                tofile="%s (generated)" % relative,
                lineterm="",
            )
        )
        for line in diff[:max_diff_lines]:
            print(line)
        if len(diff) > max_diff_lines:
            print("... (%d more diff lines)" % (len(diff) - max_diff_lines))
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Render api/hyperlight.yaml into the C header and the Go and C# constants."
    )
    parser.add_argument("--spec", default=DEFAULT_SPEC, help="spec file (default: api/hyperlight.yaml)")
    parser.add_argument(
        "--out-dir",
        default=REPO_ROOT,
        help="root under which outputs are written or checked (default: the repository root)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any output differs from a fresh render",
    )
    args = parser.parse_args(argv)

    try:
        rendered = render_all(args.spec)
    except SpecError as error:
        for problem in error.problems:
            print("apigen: error: %s" % problem, file=sys.stderr)
        return 2

    if args.check:
        stale = check_outputs(rendered, args.out_dir, spec_display_name(args.spec))
        if stale:
            print("apigen: generated files are out of date: %s" % ", ".join(stale))
            print("apigen: never edit them by hand; run tools/apigen/apigen.py and commit the result")
            return 1
        print("apigen: all %d generated files are up to date" % len(rendered))
        return 0

    write_outputs(rendered, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
