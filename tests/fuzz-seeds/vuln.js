const { exec } = require('child_process');
function f(req) {
  exec('ping ' + req.query.host);
}
