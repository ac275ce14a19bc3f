-- What a script cannot reach: no io, no package loading, no debug, no file
-- loading, no process control; the clock reads the epoch.
local missing = {}
for _, name in ipairs({"io", "require", "package", "debug", "dofile", "loadfile"}) do
  if _G[name] == nil then missing[#missing + 1] = name end
end
for _, name in ipairs({"execute", "exit", "getenv", "remove", "rename", "tmpname", "setlocale"}) do
  if os[name] == nil then missing[#missing + 1] = "os." .. name end
end
local chunk, err = load("\27Lua", "binary", "b")
return table.concat(missing, " ") .. " | " .. os.time() .. " " .. os.clock() .. " " ..
       os.date("!%Y-%m-%d %H:%M:%S", 86400) .. " " .. os.date("%Z") .. " | " .. tostring(chunk)
-- expect: io require package debug dofile loadfile os.execute os.exit os.getenv os.remove os.rename os.tmpname os.setlocale | 0 0.0 1970-01-02 00:00:00 UTC | nil
