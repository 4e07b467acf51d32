<?php
// /login?user=ID logs ID in through Laravel's session guard, keeps the IP, user agent and login
// time in the session, and writes the mapping key through Laravel's Redis client, which prefixes
// it (laravel_database_user:<ID>:<session id>); its value is the key the session is stored under.
// /me answers 200 "user=ID" while the session authenticates, else 401. /slow?ms=N is a request
// in flight: it reads the session, waits N ms, changes it, and Laravel saves it as it ends.
use Illuminate\Auth\GenericUser;
use Illuminate\Http\Response;

$router = app('router');
$router->get('/login', function () {
    $id = request()->query('user');
    auth()->login(new GenericUser(['id' => $id, 'remember_token' => null, 'password' => '']));
    $session = session();
    $session->put('ip', request()->ip());
    $session->put('user_agent', request()->userAgent());
    $session->put('created_at', time());
    if (config('session.driver') === 'database') {
        return 'ok';  // a row of the sessions table: user_id, ip_address, user_agent are its columns
    }
    $connection = app('redis')->connection();
    $storageKey = config('database.redis.options.prefix') . config('cache.prefix') . ':' . $session->getId();
    $connection->setex("user:$id:" . $session->getId(), 3600, $storageKey);
    return 'ok';
});
$router->get('/me', function () {
    // Plain responses: the app has no view layer, which response() would need.
    return auth()->check() ? new Response('user=' . auth()->id()) : new Response('anonymous', 401);
});
$router->get('/slow', function () {
    $in = auth()->check();
    usleep((int)request()->query('ms', '1500') * 1000);
    session()->put('touched', microtime(true));
    return $in ? new Response('user=' . auth()->id()) : new Response('anonymous', 401);
});
