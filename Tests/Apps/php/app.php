<?php
// A plain PHP app on phpredis native sessions (session.save_handler=redis), as the sessionctl
// tests drive it. /login?user=ID logs ID in, keeps the IP, user agent and login time in the
// session, and writes the mapping key user:<ID>:<id> -> PHPREDIS_SESSION:<id>; /me answers 200
// "user=ID" while the session authenticates, else 401. /slow?ms=N is a request in flight: it
// reads the session, waits N ms, changes it, and PHP writes it back as the script ends.
session_start();
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path === '/login') {
    session_regenerate_id(true);
    $user = $_GET['user'];
    $_SESSION['user_id'] = $user;
    $_SESSION['ip'] = $_SERVER['REMOTE_ADDR'];
    $_SESSION['user_agent'] = $_SERVER['HTTP_USER_AGENT'] ?? '';
    $_SESSION['created_at'] = time();
    $redis = new Redis();
    $redis->connect('127.0.0.1', (int)getenv('REDIS_PORT'));
    $redis->setex("user:$user:" . session_id(), 3600, 'PHPREDIS_SESSION:' . session_id());
    echo "ok";
} elseif ($path === '/me') {
    if (isset($_SESSION['user_id'])) {
        echo 'user=' . $_SESSION['user_id'];
    } else {
        http_response_code(401);
        echo 'anonymous';
    }
} elseif ($path === '/slow') {
    $in = isset($_SESSION['user_id']);
    usleep((int)($_GET['ms'] ?? 1500) * 1000);
    $_SESSION['touched'] = microtime(true);
    if ($in) {
        echo 'user=' . $_SESSION['user_id'];
    } else {
        http_response_code(401);
        echo 'anonymous';
    }
} else {
    http_response_code(404);
}
