-- listings.lua - pandoc filter: every C listing must equal its marked source region.
--
-- A block written as ```c from=PATH#NAME (rewritten by build.sh to
-- {.c from="PATH#NAME"}) must reproduce exactly the lines between
-- "/* $begin NAME */" and "/* $end NAME */" in PATH (relative to the course
-- root, IPCLAB_ROOT). A listing that drifts from its source stops the build,
-- so every listing shown to students compiles and is tested. Every ```c
-- block must carry a source.

local root = os.getenv("IPCLAB_ROOT") or "."
-- tests/broken/LAB/VARIANT/FILE names the solution with VARIANT's bug.patch
-- applied; build.sh materialises those files under IPCLAB_BROKEN_ROOT.
local broken_root = os.getenv("IPCLAB_BROKEN_ROOT")
local page = os.getenv("IPCLAB_PAGE") or "?"

-- Lines strictly between the begin and end markers of name in path, or nil.
local function marked_region(path, name)
  local file = root .. "/" .. path
  local variant = path:match("^tests/broken/(.+)$")
  if variant and broken_root then file = broken_root .. "/" .. variant end
  local f = io.open(file, "r")
  if not f then return nil, "cannot open " .. path end
  local lines, inside, found = {}, false, false
  for line in f:lines() do
    if line:match("^%s*/%* %$end " .. name:gsub("%p", "%%%0") .. " %*/%s*$") then
      inside = false
    end
    if inside then table.insert(lines, line) end
    if line:match("^%s*/%* %$begin " .. name:gsub("%p", "%%%0") .. " %*/%s*$") then
      inside, found = true, true
    end
  end
  f:close()
  if not found then return nil, "no marker '$begin " .. name .. "' in " .. path end
  return table.concat(lines, "\n")
end

function CodeBlock(block)
  local is_c = block.classes:includes("c")
  local from = block.attributes["from"]
  if not is_c then return nil end
  if not from then
    error(page .. ": a ```c listing has no from=PATH#NAME source:\n" .. block.text)
  end
  local path, name = from:match("^([^#]+)#(.+)$")
  if not path then error(page .. ": bad from='" .. from .. "' (want PATH#NAME)") end
  local want, why = marked_region(path, name)
  if not want then error(page .. ": listing " .. from .. ": " .. why) end
  local got = block.text:gsub("%s+$", "")
  want = want:gsub("%s+$", "")
  if got ~= want then
    error(page .. ": listing " .. from .. " has drifted from its source; copy the\n" ..
          "lines between the markers again. The source now reads:\n" .. want)
  end
  block.attributes["from"] = nil
  local caption = pandoc.Div(
    { pandoc.Para({ pandoc.Str("from "), pandoc.Code(path) }) },
    pandoc.Attr("", { "listing-source" }))
  return { block, caption }
end
