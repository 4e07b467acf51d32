<?php
// Front controller, as a Laravel skeleton's public/index.php (run with php -S … public/index.php).
require '/usr/share/php/Illuminate/autoload.php';
require __DIR__ . '/../app/App.php';

$app = require __DIR__ . '/../bootstrap/app.php';
$kernel = $app->make(Illuminate\Contracts\Http\Kernel::class);
$response = $kernel->handle($request = Illuminate\Http\Request::capture());
$response->send();
$kernel->terminate($request, $response);
