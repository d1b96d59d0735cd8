-- wrk scenario: GET /openvidu/api/sessions/bench (the URL path is given on the wrk command line).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
common.configure("GET", nil)
