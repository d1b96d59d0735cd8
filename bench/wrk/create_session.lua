-- wrk scenario: POST /openvidu/api/sessions with body {} (the URL path is given on the wrk command line).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
common.configure("POST", "{}")
