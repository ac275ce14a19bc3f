-- A JSON encoder and decoder written in Lua, and a round trip through them.
local function encode(v)
  local t = type(v)
  if t == "nil" then return "null"
  elseif t == "boolean" then return tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    return string.format("%.17g", v)
  elseif t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      local named = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\t'] = '\\t'}
      return named[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif t == "table" then
    if #v > 0 or next(v) == nil then
      local parts = {}
      for i = 1, #v do parts[i] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    local parts = {}
    for i, k in ipairs(keys) do parts[i] = encode(k) .. ":" .. encode(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. t)
end

local function decode(text)
  local pos = 1
  local function space() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end
  local value
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local c = text:sub(pos, pos)
      if c == '"' then pos = pos + 1; return table.concat(out) end
      if c == "\\" then
        local e = text:sub(pos + 1, pos + 1)
        if e == "u" then
          out[#out + 1] = utf8.char(tonumber(text:sub(pos + 2, pos + 5), 16)); pos = pos + 6
        else
          out[#out + 1] = ({n = "\n", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/"})[e]; pos = pos + 2
        end
      else
        out[#out + 1] = c; pos = pos + 1
      end
    end
  end
  function value()
    space()
    local c = text:sub(pos, pos)
    if c == "{" then
      local obj = {}
      pos = pos + 1; space()
      if text:sub(pos, pos) == "}" then pos = pos + 1; return obj end
      repeat
        space(); local k = str(); space()
        assert(text:sub(pos, pos) == ":", "expected ':' at " .. pos); pos = pos + 1
        obj[k] = value(); space()
        c = text:sub(pos, pos); pos = pos + 1
      until c == "}"
      return obj
    elseif c == "[" then
      local arr = {}
      pos = pos + 1; space()
      if text:sub(pos, pos) == "]" then pos = pos + 1; return arr end
      repeat
        arr[#arr + 1] = value(); space()
        c = text:sub(pos, pos); pos = pos + 1
      until c == "]"
      return arr
    elseif c == '"' then return str()
    elseif text:find("^true", pos) then pos = pos + 4; return true
    elseif text:find("^false", pos) then pos = pos + 5; return false
    elseif text:find("^null", pos) then pos = pos + 4; return nil
    end
    local number = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    pos = pos + #number
    return math.tointeger(tonumber(number)) or tonumber(number)
  end
  return value()
end

local doc = {name = "hyperlight", tags = {"kvm", "sandbox", "lua"}, version = 5.4, count = 42,
             nested = {ok = true, off = false, quote = 'say "hi"\n\ttabbed', empty = {}}}
local once = encode(doc)
local twice = encode(decode(once))
assert(once == twice, "round trip changed the document")
local back = decode(once)
return once .. " " .. back.tags[2] .. " " .. back.count + 1 .. " " .. back.nested.quote:len()
-- expect: {"count":42,"name":"hyperlight","nested":{"empty":[],"off":false,"ok":true,"quote":"say \\"hi\\"\\n\\ttabbed"},"tags":["kvm","sandbox","lua"],"version":5.4000000000000004} sandbox 43 16
